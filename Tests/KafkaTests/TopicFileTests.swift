import Foundation
import Kafka
import Testing
import TestSupport

/// `chat topics --create` makes the topics of kafka/topics.json on our broker, with their
/// partition counts and configs as DescribeConfigs reports them, and does it idempotently.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct TopicFileTests {
    /// kafka/topics.json, read here with JSONSerialization rather than the chat's own catalog.
    static let topicFile = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../kafka/topics.json").path

    struct Definition {
        var name: String
        var partitions: Int
        var configs: [String: String]
    }

    static func definitions() throws -> [Definition] {
        let root = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: topicFile))) as? [String: Any]
        let topics = try #require(root?["topics"] as? [[String: Any]])
        return try topics.map { topic in
            Definition(
                name: try #require(topic["name"] as? String), partitions: try #require(topic["partitions"] as? Int),
                configs: try #require(topic["configs"] as? [String: String])
            )
        }
    }

    @Test func theTopicFileCreatesItsTopicsWithTheirConfigs() async throws {
        let environment = try await KafkaTestEnvironment.start()
        let definitions = try Self.definitions()
        #expect(definitions.count == 7)
        let arguments = ["topics", "--create", "--kafka", environment.bootstrap, "--topics", Self.topicFile]
        let created = try await ChildProcess.run(try ChatBinary.path, arguments).stdout
        // Twice: the second run changes nothing and still succeeds.
        let again = try await ChildProcess.run(try ChatBinary.path, arguments).stdout
        #expect(again == created)

        let admin = try environment.admin()
        let topics = Dictionary(uniqueKeysWithValues: try await admin.topics().map { ($0.name, $0) })
        for definition in definitions {
            let topic = try #require(topics[definition.name], "\(definition.name) was not created")
            #expect(topic.partitions.count == definition.partitions, "\(definition.name)")
            let configs = try await admin.topicConfigs(definition.name)
            for (key, value) in definition.configs {
                #expect(configs[key] == value, "\(definition.name) \(key)")
            }
            #expect(created.contains(definition.name))
        }
        await admin.close()

        let listing = try await ChildProcess.run(try ChatBinary.path, ["topics", "--kafka", environment.bootstrap, "--json"]).stdout
        let lines = listing.split(separator: "\n")
        #expect(lines.count == definitions.count)
        let ephemeral = try #require(lines.first { $0.contains(#""topic":"chat.ephemeral""#) })
        #expect(ephemeral.contains(#""cleanup.policy":"delete""#) && ephemeral.contains(#""retention.ms":"60000""#))
        #expect(ephemeral.contains(#""partitions":4"#))
        let presence = try #require(lines.first { $0.contains(#""topic":"chat.presence""#) })
        #expect(presence.contains(#""cleanup.policy":"compact""#) && presence.contains(#""partitions":16"#))
        try await environment.broker.stop()
    }
}
