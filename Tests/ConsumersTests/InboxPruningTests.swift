import Consumers
import Foundation
import GRDB
import Kafka
import Logging
import Producers
import Projections
import Testing
import TestSupport

/// The inbox service drops from its delivery queue what every device of a user acknowledged,
/// once that is older than it keeps such rows, and nothing a device is still owed.
@Suite(.timeLimit(.minutes(2)))
struct InboxPruningTests {
    final class Sink: DeliverySink {
        let delivered = TestSupport.Locked<[StoredDelivery]>([])
        func deliver(_ deliveries: [StoredDelivery]) async { delivered.withLock { $0 += deliveries } }
        func released(_ partitions: [Int32]) async {}
    }

    @Test func acknowledgedDeliveriesGoAndOwedOnesStay() async throws {
        let directory = try TemporaryDirectory(prefix: "inbox-pruning")
        let broker = try await TestBroker.start(directory: directory.child("broker"))
        var logger = Logger(label: "inbox-pruning")
        logger.logLevel = .warning
        let kafka = KafkaConfiguration(bootstrapServers: broker.bootstrap)
        let catalog = try TopicCatalog.load(
            path: URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../kafka/topics.json").path
        )
        try await TopicProvisioner.ensure(catalog, kafka: kafka, logger: logger)
        let writer = try EventWriter(kafka: kafka, catalog: catalog, logger: logger)
        let database = try ChatDatabase(path: directory.child("deliveries.sqlite"), store: .deliveryQueue)
        var settings = InboxService.Settings(nodeAddress: "http://127.0.0.1:1")
        settings.keepAcknowledged = .zero
        settings.pruneInterval = .milliseconds(200)
        let sink = Sink()
        let service = InboxService(
            kafka: kafka, catalog: catalog, database: database, writer: writer, settings: settings, sink: sink, logger: logger
        )
        let running = Task { try await service.run() }
        #expect(await eventually(timeout: .seconds(60)) { service.serves(user: "bob") && service.serves(user: "carol") })

        for user in ["bob", "carol"] {
            let delivery = MessageDelivery(
                id: "origin-\(user)", msgId: "c1.1", conv: "c1", seq: 1, from: "alice", groupId: nil, body: "hi", media: nil,
                ts: EventTime.now(), originDevice: nil, ref: nil
            )
            try await writer.append(delivery, role: .inbox, key: user, partition: catalog.userPartition(user))
        }
        #expect(await eventually { sink.delivered.value.count == 2 })
        let bobs = try #require(sink.delivered.value.first { $0.user == "bob" })
        _ = try await service.connect(user: "bob", device: "phone")
        try await service.acknowledge(user: "bob", device: "phone", upTo: bobs.dseq)

        func stored() throws -> [String] {
            try database.writer.read { db in try String.fetchAll(db, sql: "SELECT user FROM deliveries ORDER BY user") }
        }
        let pruned = await eventually { (try? stored()) == ["carol"] }
        let left = try stored()
        #expect(pruned, "left: \(left)")
        running.cancel()
        _ = try? await running.value
        await writer.close()
        try await broker.stop()
    }
}
