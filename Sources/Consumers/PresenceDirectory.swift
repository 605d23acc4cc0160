import Foundation
import Kafka
import Logging
import Producers
import Projections

/// Whether users are online and when they were last seen: the projection of `chat.presence`,
/// kept in memory on every gateway node (the topic is compacted, so reading it from the start
/// is cheap). Recent changes are handed to `onChange` so online contacts can be told.
public final class PresenceDirectory: Sendable {
    public struct Status: Sendable, Equatable {
        public var online: Bool
        public var lastSeen: Int64
    }

    private let statuses = Locked<[String: Status]>([:])
    private let kafka: KafkaConfiguration
    private let catalog: TopicCatalog
    private let logger: Logger

    public init(kafka: KafkaConfiguration, catalog: TopicCatalog, logger: Logger) {
        self.kafka = kafka
        self.catalog = catalog
        self.logger = logger
    }

    public func status(of user: String) -> Status? { statuses.withLock { $0[user] } }

    /// Follows the topic until cancelled; changes newer than `freshness` are passed on (older
    /// ones are history being caught up with, not news).
    public func run(freshness: Duration = .seconds(10), onChange: @Sendable @escaping (PresenceChanged) async -> Void) async throws {
        let topic = catalog[.presence]
        try await LogFollower(kafka: kafka, logger: logger).follow(topic: topic.name, partitions: topic.partitions, from: [:]) { batch in
            for record in batch {
                guard let event = EventRecord(record), let change = try? EventCoding.decode(PresenceChanged.self, from: event) else {
                    continue
                }
                statuses.withLock { $0[change.user] = Status(online: change.online, lastSeen: change.lastSeen) }
                let age = EventTime.now() - change.ts
                if age < freshness.components.seconds * 1000 { await onChange(change) }
            }
        }
    }
}

/// Typing notices from `chat.ephemeral`, read from the end: only what happens while this node
/// runs, never a replay.
public struct TypingFeed: Sendable {
    let kafka: KafkaConfiguration
    let catalog: TopicCatalog
    let logger: Logger

    public init(kafka: KafkaConfiguration, catalog: TopicCatalog, logger: Logger) {
        self.kafka = kafka
        self.catalog = catalog
        self.logger = logger
    }

    public func run(_ onNotice: @Sendable @escaping (TypingNotice) async -> Void) async throws {
        let topic = catalog[.ephemeral]
        let fromEnd = Dictionary(uniqueKeysWithValues: (0..<topic.partitions).map { ($0, KafkaOffset.end) })
        try await LogFollower(kafka: kafka, logger: logger).follow(topic: topic.name, partitions: topic.partitions, from: fromEnd) { batch in
            for record in batch {
                if let event = EventRecord(record), let notice = try? EventCoding.decode(TypingNotice.self, from: event) {
                    await onNotice(notice)
                }
            }
        }
    }
}
