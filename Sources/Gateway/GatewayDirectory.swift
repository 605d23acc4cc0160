import Consumers
import Foundation
import Kafka
import Logging
import Producers

/// Which gateway node serves which users: the gateways' consumer group assigns the inbox
/// partitions, and each node joins with its public address as client id. A node that does
/// not serve a user looks the owner up here to send the client there.
final class GatewayDirectory: Sendable {
    private struct Snapshot {
        var owners: [Int32: String] = [:]
        var taken = ContinuousClock.Instant.now - .seconds(3600)
    }

    private let admin: KafkaAdmin
    private let group: String
    private let topic: String
    private let snapshot = Locked(Snapshot())
    private let logger: Logger

    init(kafka: KafkaConfiguration, group: String, topic: String, logger: Logger) throws {
        admin = try KafkaAdmin(configuration: kafka, logger: logger)
        self.group = group
        self.topic = topic
        self.logger = logger
    }

    /// The address of the node serving `partition`, looked up at most once a second.
    func owner(of partition: Int32) async -> String? {
        let current = snapshot.value
        if ContinuousClock.now - current.taken < .seconds(1) { return current.owners[partition] }
        do {
            var owners: [Int32: String] = [:]
            for member in try await admin.members(ofGroup: group) {
                for assigned in member.partitions where assigned.topic == topic { owners[assigned.partition] = member.clientId }
            }
            snapshot.withLock { $0 = Snapshot(owners: owners, taken: .now) }
            return owners[partition]
        } catch {
            logger.warning("could not describe the gateways' group", metadata: ["error": "\(error)"])
            return current.owners[partition]
        }
    }

    func close() async { await admin.close() }
}
