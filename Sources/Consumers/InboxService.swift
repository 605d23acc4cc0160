import Foundation
import GRDB
import Kafka
import Logging
import Producers
import Projections

/// Where new deliveries go once they are stored: the gateway's connected devices.
public protocol DeliverySink: Sendable {
    /// Deliveries just stored, in dseq order within each user.
    func deliver(_ deliveries: [StoredDelivery]) async
    /// Inbox partitions this node no longer serves: their users' devices must reconnect.
    func released(_ partitions: [Int32]) async
}

/// The inbox side of a gateway node: a member of the gateways' consumer group over
/// `chat.inbox`, it serves the users of the partitions assigned to it. It keeps the
/// delivery-queue projection of those partitions (with its offsets, in the node's database),
/// pushes new deliveries to connected devices, and moves device cursors on acks.
public final class InboxService: Sendable {
    public struct Settings: Sendable {
        public var groupId = "chat-gateways"
        /// This node's address, given to the group as client id so other nodes can send users here.
        public var nodeAddress: String
        /// How long a delivery that every device of its user acknowledged stays stored: while
        /// it does, the same record arriving again (a processor that restarted sends again what
        /// it had not committed) is recognised and not delivered twice. Default: one day.
        public var keepAcknowledged: Duration = .seconds(86_400)
        /// How often the delivery queue drops what it need not keep. Default: 10 minutes.
        public var pruneInterval: Duration = .seconds(600)
        /// How long deliveries pushed to the sessions may wait before they are stored (they are
        /// part of every answer meanwhile). Default: 50 ms.
        public var storeAfter: Duration = .milliseconds(50)

        public init(nodeAddress: String) { self.nodeAddress = nodeAddress }
    }

    public enum ConnectError: Error, Equatable {
        /// This node does not serve the user's partition (the owner may be elsewhere).
        case notServedHere(partition: Int32)
    }

    private let kafka: KafkaConfiguration
    private let catalog: TopicCatalog
    private let database: ChatDatabase
    private let deliveries: DeliveryQueue
    private let writer: EventWriter
    private let settings: Settings
    private let sink: any DeliverySink
    private let logger: Logger
    private let served = Locked<Set<Int32>>([])
    private let acks = GroupCommit<Ack>()

    private struct Ack: Sendable {
        var user: String
        var device: String
        var upTo: Int64
    }

    public init(
        kafka: KafkaConfiguration, catalog: TopicCatalog, database: ChatDatabase, writer: EventWriter, settings: Settings,
        sink: any DeliverySink, logger: Logger
    ) {
        self.kafka = kafka
        self.catalog = catalog
        self.database = database
        deliveries = DeliveryQueue(database: database, topic: catalog[.inbox].name, storeAfter: settings.storeAfter)
        self.writer = writer
        self.settings = settings
        self.sink = sink
        self.logger = logger
    }

    public var servedPartitions: Set<Int32> { served.value }

    public func serves(user: String) -> Bool { served.value.contains(catalog.userPartition(user)) }

    // MARK: - Running

    public func run() async throws {
        let topic = catalog[.inbox].name
        var configuration = kafka
        configuration["group.id"] = settings.groupId
        configuration["client.id"] = settings.nodeAddress
        configuration["partition.assignment.strategy"] = "cooperative-sticky"
        let database = database
        let consumer = try KafkaConsumer(configuration: configuration, logger: logger) { partitions in
            // Resume each partition where this node's projection stopped; a partition it
            // never had starts from the log start.
            let applied = (try? database.writer.read { db in
                try AppliedOffsets.load(db, projection: DeliveryStore.projection, topic: topic)
            }) ?? [:]
            return Dictionary(uniqueKeysWithValues: partitions.map { ($0, applied[$0.partition] ?? KafkaOffset.beginning) })
        }
        try consumer.subscribe(topics: [topic])
        let watcher = Task { await watchAssignments(consumer) }
        let pruner = Task { await pruneRegularly() }
        defer { pruner.cancel() }
        // Batches are taken in on the consumer's thread and stored behind their push (see
        // DeliveryQueue); pushing to the sessions and committing follow on a task of their own,
        // in order. The consumer's thread waits while that task is `Self.stepsAhead` steps
        // behind, so a slow push holds up reading, as it did when the push was awaited.
        let (steps, queue) = AsyncStream.makeStream(of: Step.self)
        let room = DispatchSemaphore(value: Self.stepsAhead)
        let follower = Task {
            for await step in steps {
                switch step {
                case .deliver(let stored): await sink.deliver(stored)
                // Positions live in the database; the commit only shows the group's lag.
                case .commit(let offsets): try? await consumer.commit(offsets)
                }
                room.signal()
            }
        }
        @Sendable func handOn(_ step: Step) {
            room.wait()
            queue.yield(step)
        }
        let uncommitted = Locked(Uncommitted())
        let deliveries = self.deliveries
        do {
            try await consumer.consume(reportingIdle: true) { batch in
                if !batch.isEmpty {
                    let rows = DeliveryStore.rows(of: batch.compactMap(EventRecord.init), now: EventTime.now())
                    let fresh = try deliveries.admit(rows, next: batch.nextOffsets)
                    if !fresh.isEmpty { handOn(.deliver(fresh.map(\.delivery))) }
                }
                try deliveries.storeIfDue(force: batch.isEmpty)
                if let due = uncommitted.withLock({ $0.note(batch) }) { handOn(.commit(due)) }
            }
            try deliveries.storeIfDue(force: true)
        } catch {
            try? deliveries.storeIfDue(force: true)
            queue.finish()
            follower.cancel()
            watcher.cancel()
            await consumer.close()
            throw error
        }
        queue.finish()
        await follower.value
        watcher.cancel()
        await consumer.close()
    }

    /// How many stored batches (or commits) may wait to be handed on.
    private static let stepsAhead = 64

    /// What the consumer's thread hands on, in order.
    private enum Step: Sendable {
        case deliver([StoredDelivery])
        case commit([TopicPartition: Int64])
    }

    /// Offsets read and not committed yet. They are committed at most once a second, and
    /// when the log goes quiet (or lag would show work as not done).
    private struct Uncommitted {
        var offsets: [TopicPartition: Int64] = [:]
        var since = ContinuousClock.now

        /// Notes a batch (empty when idle); returns the offsets to commit if a commit is due.
        mutating func note(_ batch: [KafkaRecord]) -> [TopicPartition: Int64]? {
            for record in batch { offsets[record.topicPartition] = record.offset + 1 }
            guard !offsets.isEmpty, batch.isEmpty || ContinuousClock.now - since > .seconds(1) else { return nil }
            defer { (offsets, since) = ([:], .now) }
            return offsets
        }
    }

    /// Every `pruneInterval`, drops the deliveries every device of their user acknowledged
    /// more than `keepAcknowledged` ago, and any older than the inbox topic's retention (the
    /// log has dropped those too), a thousand rows per transaction so that the consumer's
    /// writes never wait long behind it.
    private func pruneRegularly() async {
        let retention = catalog[.inbox].configs["retention.ms"].flatMap(Int64.init).flatMap { $0 > 0 ? $0 : nil } ?? .max
        let keepAcknowledged = settings.keepAcknowledged.components.seconds * 1000
        while (try? await Task.sleep(for: settings.pruneInterval)) != nil {
            do {
                var dropped = 0
                while !Task.isCancelled {
                    let batch = try await database.writer.write { db in
                        try DeliveryStore.prune(now: EventTime.now(), keepAcked: keepAcknowledged, keepAll: retention, limit: 1000, in: db)
                    }
                    dropped += batch
                    if batch < 1000 { break }
                }
                if dropped > 0 { logger.debug("pruned the delivery queue", metadata: ["rows": "\(dropped)"]) }
            } catch {
                logger.warning("could not prune the delivery queue", metadata: ["error": "\(error)"])
            }
        }
    }

    private func watchAssignments(_ consumer: KafkaConsumer) async {
        for await event in consumer.events {
            switch event {
            case .assigned(let partitions):
                let numbers = partitions.map(\.partition)
                do {
                    try await loadCursors(numbers)
                    served.withLock { $0.formUnion(numbers) }
                    logger.info("serving inbox partitions", metadata: ["partitions": "\(numbers.sorted())"])
                } catch {
                    logger.error("could not load device cursors", metadata: ["error": "\(error)"])
                }
            case .revoked(let partitions), .lost(let partitions):
                let numbers = partitions.map(\.partition)
                served.withLock { $0.subtract(numbers) }
                logger.info("released inbox partitions", metadata: ["partitions": "\(numbers.sorted())"])
                await sink.released(numbers)
            }
        }
    }

    /// Reads the device cursors of `partitions` from `chat.cursors` (the log is the truth:
    /// another node may have served these users meanwhile).
    private func loadCursors(_ partitions: [Int32]) async throws {
        let scanner = PartitionScanner(kafka: kafka, logger: logger)
        for partition in partitions {
            try await scanner.scan(TopicPartition(topic: catalog[.cursors].name, partition: partition)) { batch in
                let cursors = batch.compactMap(EventRecord.init).compactMap { try? EventCoding.decode(DeviceCursor.self, from: $0) }
                try await database.writer.write { db in
                    for cursor in cursors {
                        try DeliveryStore.advance(user: cursor.user, device: cursor.device, to: cursor.acked, in: db)
                    }
                }
            }
        }
    }

    // MARK: - Devices

    /// Where a connecting device starts. A device seen for the first time starts after the
    /// highest dseq any of its user's devices acknowledged (from the user's first delivery if
    /// none has), and that start is recorded at once so a later reconnect resumes from it.
    public func connect(user: String, device: String) async throws -> Int64 {
        let partition = catalog.userPartition(user)
        guard served.value.contains(partition) else { throw ConnectError.notServedHere(partition: partition) }
        let (cursor, isNew) = try await database.writer.write { db -> (Int64, Bool) in
            if let cursor = try DeliveryStore.cursor(user: user, device: device, in: db) { return (cursor, false) }
            let start = try DeliveryStore.highestCursor(user: user, in: db) ?? -1
            try DeliveryStore.advance(user: user, device: device, to: start, in: db)
            return (start, true)
        }
        if isNew { try await writer.append([cursorRecord(user: user, device: device, acked: cursor, ts: EventTime.now())]) }
        return cursor
    }

    /// Up to `limit` of the deliveries stored for `user` after `dseq`, in dseq order: one page
    /// of a device's catch-up.
    public func pending(for user: String, after dseq: Int64, limit: Int) async throws -> [StoredDelivery] {
        try await deliveries.pending(for: user, after: dseq, limit: limit)
    }

    /// Moves a device's cursor to `upTo` (already clamped by the caller to what it was sent),
    /// publishes it, and tells the conversations which messages became delivered. Returns
    /// once that is durable; acks of many devices arriving together share one transaction and
    /// one round of appends.
    public func acknowledge(user: String, device: String, upTo: Int64) async throws {
        try await acks.submit(Ack(user: user, device: device, upTo: upTo), commit: record)
    }

    private func record(_ acks: [Ack]) async throws {
        let advanced = try await database.writer.write { [deliveries] db -> [(ack: Ack, before: Int64, delivered: [String: Int64])] in
            try acks.compactMap { ack in
                let current = try DeliveryStore.cursor(user: ack.user, device: ack.device, in: db) ?? -1
                guard ack.upTo > current else { return nil }
                let userBefore = try DeliveryStore.highestCursor(user: ack.user, in: db) ?? -1
                try DeliveryStore.advance(user: ack.user, device: ack.device, to: ack.upTo, in: db)
                let delivered = ack.upTo > userBefore
                    ? try deliveries.deliveredMessages(user: ack.user, after: userBefore, upTo: ack.upTo, in: db) : [:]
                return (ack, current, delivered)
            }
        }
        guard !advanced.isEmpty else { return }
        let now = EventTime.now()
        let records = advanced.flatMap { ack, _, delivered in
            [cursorRecord(user: ack.user, device: ack.device, acked: ack.upTo, ts: now)]
                + delivered.sorted(by: { $0.key < $1.key }).map { conv, seq in
                    writer.record(MessagesDelivered(conv: conv, user: ack.user, upTo: seq, ts: now), role: .conversations, key: conv)
                }
        }
        do {
            try await writer.append(records)
        } catch {
            // Not in the log: the cursors go back, so that the ack the device is asked to send
            // again finds them behind it and appends the cursor and the markers after all.
            try? await database.writer.write { db in
                for (ack, before, _) in advanced {
                    try DeliveryStore.putBack(user: ack.user, device: ack.device, from: ack.upTo, to: before, in: db)
                }
            }
            throw error
        }
    }

    private func cursorRecord(user: String, device: String, acked: Int64, ts: Int64) -> KafkaOutgoingRecord {
        let cursor = DeviceCursor(user: user, device: device, acked: acked, ts: ts)
        return writer.record(cursor, role: .cursors, key: cursor.key, partition: catalog.userPartition(user))
    }
}
