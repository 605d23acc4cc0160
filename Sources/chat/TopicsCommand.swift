import ArgumentParser
import Foundation
import Kafka
import Logging
import Producers

/// `chat topics`: the chat's topics as the cluster has them, and their creation from the
/// topic file (the same file `kafka/create-topics.sh` reads).
struct TopicsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "topics",
        abstract: "List the cluster's topics with partitions and configs; --create makes the missing ones of the topic file."
    )

    /// The configs that decide how long and how a topic keeps its records.
    static let shownConfigs = ["cleanup.policy", "retention.ms", "retention.bytes", "segment.bytes"]

    @OptionGroup var kafka: KafkaOptions

    @Option(help: "The topic definitions (default: kafka/topics.json, found from the working directory or the binary).")
    var topics: String?

    @Flag(help: "Create the topics of the topic file that the cluster lacks (existing ones are left as they are).")
    var create = false

    @Flag(help: "Print JSON lines instead of a table.")
    var json = false

    func run() async throws {
        let logger = Logger.make(label: "topics", level: .error)
        if create {
            try await TopicProvisioner.ensure(try TopicCatalog.locate(explicit: topics), kafka: try kafka.configuration(), logger: logger)
        }
        try await kafka.withAdmin(logger: logger) { try await list($0) }
    }

    private func list(_ admin: KafkaAdmin) async throws {
        var rows: [[String]] = []
        for topic in try await admin.topics().sorted(by: { $0.name < $1.name }) {
            let configs = try await admin.topicConfigs(topic.name)
            if json {
                printJSON([
                    "topic": topic.name, "partitions": topic.partitions.count,
                    "configs": configs.filter { Self.shownConfigs.contains($0.key) },
                ])
            } else {
                rows.append([topic.name, "\(topic.partitions.count)"] + Self.shownConfigs.map { configs[$0] ?? "-" })
            }
        }
        if !json { print(Table(header: ["TOPIC", "PARTITIONS"] + Self.shownConfigs.map { $0.uppercased() }, rows: rows)) }
    }
}
