import ArgumentParser
import ChatClient

/// `chat client history`: a page of a conversation's messages, oldest first.
struct HistoryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "Print a conversation's messages, oldest first (the newest LIMIT before SEQ)."
    )

    @OptionGroup var client: ClientOptions

    @Option(help: "The conversation id (as `send` and `listen` print it).")
    var conv: String

    @Option(help: "Only messages with a seq below this one (default: up to the newest).")
    var before: Int64?

    @Option(help: "How many messages, 1-200.")
    var limit = 50

    @Flag(help: "Print each message as one JSON object per line.")
    var json = false

    func validate() throws {
        guard (1...200).contains(limit) else { throw ValidationError("--limit must be 1-200") }
    }

    func run() async throws {
        try await ClientFailure.reporting {
            let session = try client.session()
            var query = "limit=\(limit)"
            if let before { query += "&before=\(before)" }
            let page = try await session.call("GET", "/v1/conversations/\(FrameText.pathSegment(conv))/messages?\(query)")
            guard let messages = page["messages"]?.array else {
                throw ClientFailure("bad_response", "the history answer has no messages: \(page)")
            }
            // The server pages newest first; a person reads oldest first.
            var text = FrameText(session: session)
            for message in messages.reversed() {
                Console.line(json ? message.description : await text.message(message))
            }
        }
    }
}
