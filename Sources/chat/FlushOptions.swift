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
        if let flushIntervalMs, flushIntervalMs < 1 { throw ValidationError("--flush-interval-ms must be at least 1") }
    }

    var policy: FlushPolicy {
        flushIntervalMs.map { .periodically(every: .milliseconds($0)) } ?? .beforeAcknowledging
    }
}
