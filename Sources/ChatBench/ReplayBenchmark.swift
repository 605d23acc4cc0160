import ArgumentParser
import Foundation
import Kafka
import Logging
import TestSupport

/// `chat-bench replay`: how fast `chat replay` rebuilds every projection. A `chat serve` is
/// loaded with direct messages written straight to `chat.conversations` (as gateways write
/// them); once its processor has fanned them out to `chat.inbox`, `chat replay` rebuilds the
/// conversations, media and delivery-queue projections from offset 0.
struct ReplayBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "replay", abstract: "Benchmark chat replay.")

    @Option(help: "Messages written to chat.conversations.")
    var messages = 200_000

    @Option(help: "Users; messages go between random pairs of them.")
    var users = 200

    func run() async throws {
        let server = try await ChatServer.start()
        var logger = Logger(label: "bench")
        logger.logLevel = .error
        let producer = try KafkaProducer(configuration: KafkaConfiguration(bootstrapServers: server.bootstrap), logger: logger)
        var generator = SystemRandomNumberGenerator()
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        for start in stride(from: 0, to: messages, by: 10_000) {
            let records = (start..<min(start + 10_000, messages)).map { index -> KafkaOutgoingRecord in
                let from = Int.random(in: 0..<users, using: &generator)
                let to = (from + Int.random(in: 1..<users, using: &generator)) % users
                // A direct conversation's id orders the two user ids as strings.
                let (low, high) = ("u\(from)" < "u\(to)") ? (from, to) : (to, from)
                let conv = "d-u\(low)-u\(high)"
                let body = #"{"body":"message \#(index)","client_id":"c\#(index)","conv":"\#(conv)","device":"bench","from":"u\#(from)","peer":"u\#(to)","ts":\#(now + Int64(index))}"#
                return KafkaOutgoingRecord(
                    topic: "chat.conversations", key: Data(conv.utf8), value: Data(body.utf8),
                    headers: [KafkaHeader(key: "type", value: Data("MessageSent".utf8)), KafkaHeader(key: "v", value: Data("1".utf8))]
                )
            }
            _ = try await producer.send(records)
        }
        await producer.close()
        try await waitUntilCaughtUp(server, logger: logger)

        let into = server.directory.child("replayed")
        let started = ContinuousClock.now
        let output = try await ChildProcess.run(
            try ChatBinary.path, ["replay", "--data", server.directory.child("data"), "--kafka", server.bootstrap, "--into", into],
            timeout: .seconds(900)
        )
        let elapsed = ContinuousClock.now - started
        let replayed = output.stdout.firstMatch(of: /replayed (\d+) events/).flatMap { Int($0.1) } ?? 0
        print("| scenario | events | seconds | events/s |")
        print("| --- | ---: | ---: | ---: |")
        print("| chat replay: \(messages) messages and their \(replayed - messages) inbox records, every projection | \(replayed) | \(format(elapsed.seconds)) | \(Int(Double(replayed) / elapsed.seconds)) |")
        try await server.stop()
    }

    /// Waits until the processor has fanned every message out (two inbox records each: the
    /// recipient's and the sender's copy) and the gateway has applied them.
    private func waitUntilCaughtUp(_ server: ChatServer, logger: Logger) async throws {
        let configuration = KafkaConfiguration(bootstrapServers: server.bootstrap)
        guard try await KafkaAdmin.using(configuration, logger: logger, caughtUp) else {
            throw ChildProcess.Failure(description: "the inbox did not catch up with \(messages) messages within 900 s")
        }
    }

    private func caughtUp(_ admin: KafkaAdmin) async throws -> Bool {
        let partitions = try await admin.topics().first { $0.name == "chat.inbox" }?.partitions ?? []
        let deadline = ContinuousClock.now + .seconds(900)
        while ContinuousClock.now < deadline {
            var inbox: Int64 = 0
            for partition in partitions {
                inbox += try await admin.watermarks(TopicPartition(topic: "chat.inbox", partition: partition)).high
            }
            let gateways = try await admin.lag(group: "chat-gateways").reduce(0) { $0 + $1.lag }
            if inbox >= 2 * Int64(messages) && gateways == 0 { return true }
            try await Task.sleep(for: .seconds(1))
        }
        return false
    }
}
