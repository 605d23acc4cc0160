import Foundation
import Kafka
import TestSupport

/// A librdkafka high-level consumer in a group, reading in the background and committing
/// after every record it processed.
final class GroupMember: Sendable {
    let name: String
    let consumer: KafkaConsumer
    let received = Locked<[KafkaRecord]>([])
    private let reader: Task<Void, Never>

    init(_ name: String, group: String, topic: String, assignor: String, environment: KafkaTestEnvironment) throws {
        self.name = name
        consumer = try environment.consumer([
            "group.id": group,
            "client.id": name,
            "partition.assignment.strategy": assignor,
            "session.timeout.ms": "6000",
            "heartbeat.interval.ms": "500",
        ])
        try consumer.subscribe(topics: [topic])
        reader = Task { [consumer, received] in
            do {
                for try await record in consumer.records {
                    received.withLock { $0.append(record) }
                    try await consumer.commit(after: record)
                }
            } catch {
                // Closing ends the iteration; a commit racing a rebalance may fail, and the
                // record is then delivered again, which the tests account for.
            }
        }
    }

    var assignment: Set<TopicPartition> { Set((try? consumer.assignment()) ?? []) }

    var values: [String] { received.value.compactMap { $0.value?.text } }

    func close() async {
        await consumer.close()
        await reader.value
    }
}
