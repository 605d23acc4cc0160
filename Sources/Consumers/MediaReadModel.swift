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
        try await LogFollower(kafka: kafka, logger: logger).follow(
            catalog[.media], into: database, projection: MediaProjection.name, applied: applied,
            apply: { records, db in try MediaProjection.apply(records, in: db) }
        )
    }
}
