import ArgumentParser
import Broker

/// The embedded broker's flush policy, for `chat broker` and `chat serve`.
struct FlushOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            """
            Fsync every N ms, acknowledging writes before that, as Kafka does with \
            log.flush.interval.ms (default: fsync before acknowledging). Acknowledged records then \
            survive the kill of any process, but a power loss may lose the last N ms.
            """,
            valueName: "ms"
        )
    )
    var flushIntervalMs: Int?

    func validate() throws {
        if let flushIntervalMs, !(1...86_400_000).contains(flushIntervalMs) {
            throw ValidationError("--flush-interval-ms must be from 1 to 86400000 (a day), not \(flushIntervalMs)")
        }
    }

    var policy: FlushPolicy {
        flushIntervalMs.map { .periodically(every: .milliseconds($0)) } ?? .beforeAcknowledging
    }
}
