import GRDB
import Kafka
import Logging
import Producers
import Projections

/// This node's read model of `chat.media`, in its database with the applied offsets.
public final class MediaReadModel: Sendable {
    public let database: ChatDatabase
    public let applied = AppliedOffsetWatch()
    private let kafka: KafkaConfiguration
    private let catalog: TopicCatalog
    private let logger: Logger

    public init(database: ChatDatabase, kafka: KafkaConfiguration, catalog: TopicCatalog, logger: Logger) {
        self.database = database
        self.kafka = kafka
        self.catalog = catalog
        self.logger = logger
    }

    public func run() async throws {
        let topic = catalog[.media]
        let start = try await database.writer.read { db in
            try AppliedOffsets.load(db, projection: MediaProjection.name, topic: topic.name)
        }
        for (partition, next) in start { applied.advance(partition, to: next) }
        try await LogFollower(kafka: kafka, logger: logger).follow(topic: topic.name, partitions: topic.partitions, from: start) { batch in
            let ends = Dictionary(grouping: batch, by: \.partition).mapValues { $0.map(\.offset).max()! + 1 }
            try await database.writer.write { db in
                try MediaProjection.apply(batch.compactMap(EventRecord.init), in: db)
                for (partition, next) in ends {
                    try AppliedOffsets.store(db, projection: MediaProjection.name, topic: topic.name, partition: partition, next: next)
                }
            }
            for (partition, next) in ends { applied.advance(partition, to: next) }
        }
    }
}
