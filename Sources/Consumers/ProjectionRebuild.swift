import Foundation
import GRDB
import Kafka
import Logging
import Producers
import Projections

/// Rebuilds a node's projections from the log into databases, from offset 0 up to given
/// offsets: what `chat replay` and `chat verify` run. The projections are the same pure code
/// the live node applies, batch by batch with their applied offsets in the same transaction,
/// so a rebuilt store is what a node that had read the same records holds.
public struct ProjectionRebuild: Sendable {
    /// A read model and the topic it folds.
    public enum Projection: String, CaseIterable, Sendable {
        case conversations
        case media
        /// The delivery queue of every inbox partition (a live node keeps only its own).
        case deliveries

        var role: TopicCatalog.Role {
            switch self {
            case .conversations: .conversations
            case .media: .media
            case .deliveries: .inbox
            }
        }

        /// The database it is kept in.
        public var store: ChatDatabase.Store {
            switch self {
            case .conversations, .media: .readModels
            case .deliveries: .deliveryQueue
            }
        }

        /// The name its applied offsets are stored under.
        public var storedName: String {
            switch self {
            case .conversations: ConversationProjection.name
            case .media: MediaProjection.name
            case .deliveries: DeliveryStore.projection
            }
        }
    }

    /// Where each projection stops: the next offset not to apply, per partition.
    public typealias Ends = [Projection: [Int32: Int64]]

    public struct Progress: Sendable {
        public var done: Int64
        public var total: Int64
    }

    public let kafka: KafkaConfiguration
    public let catalog: TopicCatalog
    public let logger: Logger

    public init(kafka: KafkaConfiguration, catalog: TopicCatalog, logger: Logger) {
        self.kafka = kafka
        self.catalog = catalog
        self.logger = logger
    }

    /// The current end of every partition the projections read.
    public func logEnds(of projections: [Projection] = Projection.allCases) async throws -> Ends {
        try await KafkaAdmin.using(kafka, logger: logger) { admin in
            var ends: Ends = [:]
            for projection in projections {
                let topic = catalog[projection.role]
                for partition in 0..<topic.partitions {
                    let watermarks = try await admin.watermarks(TopicPartition(topic: topic.name, partition: partition))
                    ends[projection, default: [:]][partition] = watermarks.high
                }
            }
            return ends
        }
    }

    /// The offsets `database`'s projections have applied: a live store's position.
    public static func appliedOffsets(in database: ChatDatabase, catalog: TopicCatalog, of projections: [Projection]) async throws -> Ends {
        try await database.writer.read { db in
            var ends: Ends = [:]
            for projection in projections {
                let topic = catalog[projection.role]
                let applied = try AppliedOffsets.load(db, projection: projection.storedName, topic: topic.name)
                ends[projection] = Dictionary(uniqueKeysWithValues: (0..<topic.partitions).map { ($0, applied[$0] ?? 0) })
            }
            return ends
        }
    }

    /// Applies every record before `ends` to the database of its projection's store in
    /// `databases` (which must hold every store `ends` needs); calls `progress` after each
    /// batch. Returns the number of records read.
    @discardableResult
    public func run(
        into databases: [ChatDatabase.Store: ChatDatabase], until ends: Ends, progress: @Sendable (Progress) -> Void = { _ in }
    ) async throws -> Int64 {
        let total = ends.values.reduce(0) { $0 + $1.values.reduce(0, +) }
        var done: Int64 = 0
        let scanner = PartitionScanner(kafka: kafka, logger: logger)
        // The rebuilt queue counts as stored now (it is not compared by `chat verify`).
        let now = EventTime.now()
        // Conversations first: message_media rows, which media access reads, come from it.
        for projection in Projection.allCases {
            guard let partitions = ends[projection] else { continue }
            guard let database = databases[projection.store] else {
                preconditionFailure("no \(projection.store) database for the \(projection) projection")
            }
            let topic = catalog[projection.role].name
            let conversations = ConversationProjection()
            for (partition, end) in partitions.sorted(by: { $0.key < $1.key }) where end > 0 {
                try await scanner.scan(TopicPartition(topic: topic, partition: partition), until: end) { batch in
                    let records = batch.compactMap(EventRecord.init)
                    try await database.apply(projection: projection.storedName, topic: topic, next: batch.nextOffsets) { db in
                        switch projection {
                        case .conversations: _ = try conversations.apply(records, in: db)
                        case .media: try MediaProjection.apply(records, in: db)
                        case .deliveries: _ = try DeliveryStore.apply(records, now: now, in: db)
                        }
                    }
                    done += Int64(batch.count)
                    progress(Progress(done: done, total: total))
                }
            }
        }
        return done
    }
}
