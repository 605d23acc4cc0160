import Kafka
import Logging
import Producers
import Projections

/// Every registered account, folded from `chat.accounts` into memory on each gateway node.
/// A registration is answered once this node has read its own event back, so every node
/// agrees on which registration of a username came first.
public final class AccountsDirectory: Sendable {
    private let accounts = Locked(AccountsState())
    public let applied = AppliedOffsetWatch()
    private let kafka: KafkaConfiguration
    private let catalog: TopicCatalog
    private let logger: Logger

    public init(kafka: KafkaConfiguration, catalog: TopicCatalog, logger: Logger) {
        self.kafka = kafka
        self.catalog = catalog
        self.logger = logger
    }

    public func run() async throws {
        let topic = catalog[.accounts]
        try await LogFollower(kafka: kafka, logger: logger).follow(topic: topic.name, partitions: topic.partitions, from: [:]) { batch in
            for record in batch {
                if let event = EventRecord(record), let registered = try? EventCoding.decode(UserRegistered.self, from: event) {
                    _ = accounts.withLock { $0.apply(registered) }
                }
                applied.advance(record.partition, to: record.offset + 1)
            }
        }
    }

    /// A user by id or username.
    public func account(_ reference: String) -> AccountsState.Account? {
        accounts.withLock { $0.account(reference) }
    }
}
