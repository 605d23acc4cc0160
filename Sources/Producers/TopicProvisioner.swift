import Kafka
import Logging

/// Creates the chat's topics where they are missing, with their partition counts and
/// configs; existing topics are left as they are.
public enum TopicProvisioner {
    public static func ensure(_ catalog: TopicCatalog, kafka: KafkaConfiguration, logger: Logger) async throws {
        try await KafkaAdmin.using(kafka, logger: logger) { admin in
            let existing = Set(try await admin.topics().map(\.name))
            let missing = catalog.topics.filter { !existing.contains($0.name) }
            guard !missing.isEmpty else { return }
            try await admin.createTopics(
                missing.map { NewTopic(name: $0.name, partitions: $0.partitions, configs: $0.configs) },
                ignoreExisting: true
            )
            logger.info("created topics", metadata: ["topics": "\(missing.map(\.name))"])
        }
    }
}
