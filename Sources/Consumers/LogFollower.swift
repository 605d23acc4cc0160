import Kafka
import Logging

/// Reads every partition of a topic, from given offsets, for as long as the task runs: how
/// each node keeps its own read models (accounts, conversations) current. No group: every
/// node needs every partition.
public struct LogFollower: Sendable {
    public let kafka: KafkaConfiguration
    public let logger: Logger

    public init(kafka: KafkaConfiguration, logger: Logger) {
        self.kafka = kafka
        self.logger = logger
    }

    /// Calls `body` with each batch, in offset order within each partition.
    public func follow(
        topic: String, partitions: Int32, from start: [Int32: Int64], _ body: ([KafkaRecord]) async throws -> Void
    ) async throws {
        let consumer = try KafkaConsumer(configuration: kafka, logger: logger)
        do {
            try consumer.assign(Dictionary(uniqueKeysWithValues: (0..<partitions).map {
                (TopicPartition(topic: topic, partition: $0), start[$0] ?? KafkaOffset.beginning)
            }))
            for try await batch in consumer.batches { try await body(batch) }
            await consumer.close()
        } catch {
            await consumer.close()
            throw error
        }
    }
}
