import Foundation
import Kafka
import Logging
import Projections

/// Appends chat events to their topics: JSON bodies, type and version in the headers.
///
/// Every append is durable when it returns (the producer uses `acks=all` and idempotence),
/// which is what lets the gateway answer `sent` and HTTP requests only after the log has them.
public final class EventWriter: Sendable {
    public let catalog: TopicCatalog
    private let producer: KafkaProducer

    public init(kafka: KafkaConfiguration, catalog: TopicCatalog, logger: Logger) throws {
        self.catalog = catalog
        producer = try KafkaProducer(configuration: kafka, topics: catalog.topics.map(\.name), logger: logger)
    }

    /// The record an event becomes, without sending it.
    public func record<Event: ChatEvent>(_ event: Event, role: TopicCatalog.Role, key: String, partition: Int32? = nil) -> KafkaOutgoingRecord {
        KafkaOutgoingRecord(
            topic: catalog[role].name,
            partition: partition ?? Partitioner.partition(for: key, count: catalog[role].partitions),
            key: Data(key.utf8),
            value: EventCoding.encode(event),
            headers: [
                KafkaHeader(EventCoding.typeHeader, Event.type),
                KafkaHeader(EventCoding.versionHeader, String(Event.version)),
            ]
        )
    }

    /// Appends `event` and returns where it is, once it is durable.
    @discardableResult
    public func append<Event: ChatEvent>(
        _ event: Event, role: TopicCatalog.Role, key: String, partition: Int32? = nil
    ) async throws -> KafkaDeliveryReport {
        try await producer.send(record(event, role: role, key: key, partition: partition))
    }

    /// Appends `records` in order, all handed over before any is awaited (one round trip, not
    /// one per record), and returns once all are durable.
    @discardableResult
    public func append(_ records: [KafkaOutgoingRecord]) async throws -> [KafkaDeliveryReport] {
        try await producer.send(records)
    }

    /// Hands records over in order without waiting; their reports come later.
    public func enqueue(_ record: KafkaOutgoingRecord) async throws -> PendingDelivery {
        try await producer.enqueue(record)
    }

    /// The same from a thread outside the concurrency pool, which it blocks while the
    /// producer's queue is full.
    public func enqueue(_ record: KafkaOutgoingRecord) throws -> PendingDelivery {
        try producer.enqueue(record)
    }

    public func close() async {
        await producer.close()
    }
}

extension EventWriter {
    /// The record of an inbox event for `recipient`, in the recipient's user partition.
    public func inboxRecord(_ event: InboxEvent, for recipient: String) -> KafkaOutgoingRecord {
        let partition = catalog.userPartition(recipient)
        return switch event {
        case .message(let delivery): record(delivery, role: .inbox, key: recipient, partition: partition)
        case .repeated(let repeated): record(repeated, role: .inbox, key: recipient, partition: partition)
        case .rejected(let rejected): record(rejected, role: .inbox, key: recipient, partition: partition)
        case .receipt(let receipt): record(receipt, role: .inbox, key: recipient, partition: partition)
        }
    }
}
