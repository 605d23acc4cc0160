import ArgumentParser
import UnixSignals

/// `chat client listen`: prints what arrives for this device as it arrives, until stopped.
struct ListenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "listen",
        abstract: "Print messages, receipts, presence and typing as they arrive; acknowledge each delivery."
    )

    @OptionGroup var client: ClientOptions

    @Flag(help: "Print each frame as received, one JSON object per line.")
    var json = false

    @Flag(name: .customLong("no-ack"), help: "Do not acknowledge deliveries: the next connection of this device gets them again.")
    var noAck = false

    @Option(help: "Exit after this many messages.")
    var count: Int?

    func validate() throws {
        if let count, count < 1 { throw ValidationError("--count must be at least 1") }
    }

    func run() async throws {
        try await ClientFailure.reporting {
            let listener = Listener(session: try client.session(), json: json, acknowledge: !noAck, count: count)
            // SIGINT and SIGTERM end the listening cleanly: the connection is closed with a
            // close frame, and the exit status is 0.
            let signals = await UnixSignalsSequence(trapping: .sigint, .sigterm)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await listener.run() }
                group.addTask {
                    for await _ in signals { return }
                }
                try await group.next()
                group.cancelAll()
            }
        }
    }
}
