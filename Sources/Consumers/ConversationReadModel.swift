import GRDB
import Kafka
import Logging
import Producers
import Projections

/// This node's read model of `chat.conversations` (membership, cursors, history) in its
/// database, applied with the offsets in the same transaction. It also remembers the
/// decisions of recent records, so a request that appended an event can answer with what the
/// fold decided about it (the same decision the conversation processor makes).
public final class ConversationReadModel: Sendable {
    public let database: ChatDatabase
    public let applied = AppliedOffsetWatch()
    private let projection = ConversationProjection()
    private let recent = Locked(RecentDecisions())
    private let kafka: KafkaConfiguration
    private let catalog: TopicCatalog
    private let logger: Logger

    /// The decisions of the last few thousand records, by position.
    private struct RecentDecisions {
        var byPosition: [String: [ConversationDecision]] = [:]
        var order: [String] = []

        mutating func remember(_ position: String, _ decisions: [ConversationDecision]) {
            byPosition[position] = decisions
            order.append(position)
            if order.count > 10_000 {
                for old in order.prefix(1000) { byPosition[old] = nil }
                order.removeFirst(1000)
            }
        }
    }

    public init(database: ChatDatabase, kafka: KafkaConfiguration, catalog: TopicCatalog, logger: Logger) {
        self.database = database
        self.kafka = kafka
        self.catalog = catalog
        self.logger = logger
    }

    public func run() async throws {
        let topic = catalog[.conversations]
        let start = try await database.writer.read { db in
            try AppliedOffsets.load(db, projection: ConversationProjection.name, topic: topic.name)
        }
        for (partition, next) in start { applied.advance(partition, to: next) }
        try await LogFollower(kafka: kafka, logger: logger).follow(topic: topic.name, partitions: topic.partitions, from: start) { batch in
            let records = batch.compactMap(EventRecord.init)
            let results = try await database.writer.write { db in
                let results = try self.projection.apply(records, in: db)
                for (partition, last) in Dictionary(grouping: batch, by: \.partition).mapValues({ $0.map(\.offset).max()! }) {
                    try AppliedOffsets.store(db, projection: ConversationProjection.name, topic: topic.name, partition: partition, next: last + 1)
                }
                return results
            }
            recent.withLock { recent in
                for (record, decisions) in results { recent.remember(record.position, decisions) }
            }
            for (partition, last) in Dictionary(grouping: batch, by: \.partition).mapValues({ $0.map(\.offset).max()! }) {
                applied.advance(partition, to: last + 1)
            }
        }
    }

    /// What the fold decided about the record at `partition`/`offset`, once this node has
    /// applied it; nil if it did not within `timeout`.
    public func decisions(partition: Int32, offset: Int64, timeout: Duration = .seconds(10)) async -> [ConversationDecision]? {
        guard await applied.wait(for: offset, in: partition, timeout: timeout) else { return nil }
        let position = "\(catalog[.conversations].name)/\(partition)@\(offset)"
        return recent.withLock { $0.byPosition[position] } ?? []
    }
}
