import GRDB
import Kafka
import Logging
import Producers
import Projections

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
        let consumer = try await reader(of: topic, partitions: partitions, from: start)
        do {
            for try await batch in consumer.batches { try await body(batch) }
            await consumer.close()
        } catch {
            await consumer.close()
            throw error
        }
    }

    /// Follows `topic` into a projection stored in `database`: resumes after the offsets the
    /// projection stored, applies each batch in one transaction together with its new offsets
    /// (so a restart resumes exactly after the last applied record), hands what `apply`
    /// returned to `handle`, then advances `applied`. All of it runs on the consumer's own
    /// thread (`KafkaConsumer.consume`).
    ///
    /// With `coalescing`, at most one transaction is written per that interval: batches that
    /// come sooner after the last one wait and go together into the next, written when the
    /// interval has passed and the next batch comes or the log is quiet for the interval. A
    /// transaction's cost is mostly its commit and its pages, not its rows, so a busy log
    /// costs much less; a record waits up to twice the interval.
    public func follow<Result: Sendable>(
        _ topic: TopicCatalog.Topic, into database: ChatDatabase, projection: String, applied: AppliedOffsetWatch,
        coalescing: Duration? = nil,
        apply: @escaping @Sendable ([EventRecord], Database) throws -> Result,
        then handle: @escaping @Sendable (Result) -> Void = { _ in }
    ) async throws {
        let start = try await database.writer.read { db in
            try AppliedOffsets.load(db, projection: projection, topic: topic.name)
        }
        for (partition, next) in start { applied.advance(partition, to: next) }
        let consumer = try await reader(of: topic.name, partitions: topic.partitions, from: start)
        let waiting = Locked(CoalescedBatches(interval: coalescing))
        do {
            try await consumer.consume(reportingIdle: coalescing != nil, idleAfter: coalescing ?? .milliseconds(100)) {
                [name = topic.name] batch in
                guard let (records, next) = waiting.withLock({ $0.add(batch) }) else { return }
                let result = try database.apply(projection: projection, topic: name, next: next) { db in
                    try apply(records, db)
                }
                handle(result)
                for (partition, offset) in next { applied.advance(partition, to: offset) }
            }
            await consumer.close()
        } catch {
            await consumer.close()
            throw error
        }
    }

    /// A consumer assigned every partition of `topic`, each from its start offset (the log
    /// start where none is given).
    private func reader(of topic: String, partitions: Int32, from start: [Int32: Int64]) async throws -> KafkaConsumer {
        let consumer = try KafkaConsumer(configuration: kafka, logger: logger)
        do {
            try consumer.assign(Dictionary(uniqueKeysWithValues: (0..<partitions).map {
                (TopicPartition(topic: topic, partition: $0), start[$0] ?? KafkaOffset.beginning)
            }))
        } catch {
            await consumer.close()
            throw error
        }
        return consumer
    }
}
