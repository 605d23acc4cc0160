import Foundation
import Kafka
import Testing
import TestSupport

@Suite(.serialized, .timeLimit(.minutes(2)))
struct AdminTests {
    @Test func createsDescribesAndDeletesTopics() async throws {
        let environment = try await KafkaTestEnvironment.start()
        let admin = try environment.admin()
        try await admin.createTopics([
            NewTopic(name: "plain", partitions: 2),
            NewTopic(name: "compacted", partitions: 4, configs: ["cleanup.policy": "compact", "segment.bytes": "1048576"]),
        ], ignoreExisting: false)
        let topics = try await admin.topics()
        #expect(topics.map(\.name) == ["compacted", "plain"])
        #expect(topics.first { $0.name == "compacted" }?.partitions == [0, 1, 2, 3])

        let configs = try await admin.topicConfigs("compacted")
        #expect(configs["cleanup.policy"] == "compact")
        #expect(configs["segment.bytes"] == "1048576")
        #expect(configs["retention.ms"] == "604800000")

        await #expect(throws: KafkaError.self) {
            try await admin.createTopics([NewTopic(name: "plain", partitions: 2)], ignoreExisting: false)
        }
        try await admin.createTopics([NewTopic(name: "plain", partitions: 2)], ignoreExisting: true)
        await #expect(throws: KafkaError.self) {
            try await admin.createTopics([NewTopic(name: "bad", partitions: 1, configs: ["cleanup.policy": "shred"])])
        }
        await #expect(throws: KafkaError.self) {
            try await admin.createTopics([NewTopic(name: "bad name!", partitions: 1)])
        }

        try await admin.deleteTopics(["plain"])
        #expect(try await admin.topics().map(\.name) == ["compacted"])
        await admin.close()
        try await environment.broker.stop()
    }
}
