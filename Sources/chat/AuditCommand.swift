import ArgumentParser
import Consumers
import Foundation
import Kafka
import Logging
import Producers
import Projections

/// `chat audit`: the full history of a conversation's or a user's actions, read from the log
/// itself (not from any read model), in log order, each with what the conversation fold
/// decided about it.
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Print every action of a conversation or of a user, from the log, in order.",
        discussion: "The outcome of each action (its seq, a retry, a rejection, a receipt) is recomputed by folding the conversation from its first event, so it is what the processor decided."
    )

    @Option(help: "A conversation id (a direct chat's d-… id or a group id).")
    var conversation: String?

    @Option(help: "A user id: what the user did or had done to them, in every conversation.")
    var user: String?

    @Flag(help: "Print JSON lines (with each event's stored body) instead of text.")
    var json = false

    @OptionGroup var kafka: KafkaOptions
    @OptionGroup var options: ChatOptions

    func validate() throws {
        guard (conversation == nil) != (user == nil) else { throw ValidationError("give one of --conversation or --user") }
    }

    func run() async throws {
        let logger = Logger.make(label: "audit", level: options.logLevel(default: .error))
        let catalog = try options.catalog()
        let scanner = PartitionScanner(kafka: try kafka.configuration(), logger: logger)
        var entries: [AuditEntry] = []

        // A conversation lives in one partition; a user's actions may be in any.
        let conversations = catalog[.conversations]
        let partitions = conversation.map { [Partitioner.partition(for: $0, count: conversations.partitions)] }
            ?? Array(0..<conversations.partitions)
        for partition in partitions {
            var states: [String: ConversationState] = [:]
            try await scanner.scan(TopicPartition(topic: conversations.name, partition: partition)) { batch in
                for record in batch.compactMap(EventRecord.init) {
                    guard let event = try? ConversationEvent(record) else { continue }
                    // Other conversations of the partition need no fold; a user's actions may
                    // be in any of them.
                    if let conversation, event.conversation != conversation { continue }
                    let (state, decisions) = ConversationFold.apply(states.removeValue(forKey: event.conversation), event)
                    states[event.conversation] = state
                    if let user, !AuditTrail.involves(event, user: user) { continue }
                    entries.append(AuditTrail.entry(record, event, decisions))
                }
            }
        }
        if let user {
            for role in [TopicCatalog.Role.accounts, .media] {
                let topic = catalog[role]
                for partition in 0..<topic.partitions {
                    try await scanner.scan(TopicPartition(topic: topic.name, partition: partition)) { batch in
                        entries += batch.compactMap(EventRecord.init).compactMap(AuditTrail.entry).filter { $0.actor == user }
                    }
                }
            }
            // Partitions interleave: the user's actions in the order they were taken.
            entries.sort { ($0.ts, $0.position) < ($1.ts, $1.position) }
        }
        guard !entries.isEmpty else {
            FileHandle.standardError.write(Data("no actions found for \(conversation ?? user ?? "")\n".utf8))
            throw ExitCode(1)
        }
        for entry in entries { print(json ? entry.json : entry.line) }
    }
}
