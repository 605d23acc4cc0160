import GRDB
import Kafka
import Logging
import Producers
import Projections

/// This node's read model of `chat.conversations` (membership, cursors, history) in its
/// database, applied with the offsets in the same transaction. It also remembers the
/// decisions about recent group and membership events, so the HTTP request that appended one
/// can answer with what the fold decided (the same decision the conversation processor makes).
public final class ConversationReadModel: Sendable {
    public let database: ChatDatabase
    public let applied = AppliedOffsetWatch()
    private let projection = ConversationProjection()
    private let recent = Locked(RecentDecisions())
    private let kafka: KafkaConfiguration
    private let catalog: TopicCatalog
    private let logger: Logger

    /// Where a record is in the topic.
    private struct Position: Hashable {
        var partition: Int32
        var offset: Int64
    }

    /// The event types whose decisions an HTTP request waits for (messages are answered by
    /// the processor's `sent`, through the inbox).
    private static let awaitedTypes: Set<String> = [GroupCreated.type, MemberAdded.type, MemberRemoved.type]

    /// At most one transaction per this interval (see `LogFollower`): under load the
    /// conversations' history and cursors were a transaction per fetched batch, the largest
    /// share of the node's SQLite work. The HTTP requests that wait for a decision wait up to
    /// twice as long.
    private static let coalescing: Duration = .milliseconds(20)

    /// The decisions of the last few thousand such records, by position.
    private struct RecentDecisions {
        var byPosition: [Position: [ConversationDecision]] = [:]
        var order: [Position] = []

        mutating func remember(_ position: Position, _ decisions: [ConversationDecision]) {
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
        try await LogFollower(kafka: kafka, logger: logger).follow(
            catalog[.conversations], into: database, projection: ConversationProjection.name, applied: applied,
            coalescing: Self.coalescing, apply: { [projection] records, db in try projection.apply(records, in: db) },
            then: { results in
                self.recent.withLock { recent in
                    for (record, decisions) in results where Self.awaitedTypes.contains(record.type) {
                        recent.remember(Position(partition: record.partition, offset: record.offset), decisions)
                    }
                }
            }
        )
    }

    /// What the fold decided about the record at `partition`/`offset`, once this node has
    /// applied it; nil if it did not within `timeout`.
    public func decisions(partition: Int32, offset: Int64, timeout: Duration = .seconds(10)) async -> [ConversationDecision]? {
        guard await applied.wait(for: offset, in: partition, timeout: timeout) else { return nil }
        return recent.withLock { $0.byPosition[Position(partition: partition, offset: offset)] } ?? []
    }
}
