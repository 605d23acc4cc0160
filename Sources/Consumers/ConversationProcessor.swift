import Foundation
import Kafka
import Logging
import Producers
import Projections

/// The conversation processor: a consumer group over `chat.conversations` that folds each
/// partition through the conversation fold and writes the decisions' deliveries to
/// `chat.inbox` (the fan-out).
///
/// State is a pure function of the partition's history: when a partition is assigned, its
/// states are rebuilt by replaying it up to where the group committed, and processing goes on
/// from there. Offsets are committed only after the deliveries they caused are durable, so a
/// crash loses nothing; it may write some deliveries again, which carry the same origin id
/// and are recognised downstream.
public final class ConversationProcessor: Sendable {
    public struct Settings: Sendable {
        public var groupId = "chat-processor"
        /// Commit after this long or this many records, whichever comes first.
        public var commitInterval: Duration = .milliseconds(200)
        public var commitEvery = 2000

        public init() {}
    }

    private let kafka: KafkaConfiguration
    private let writer: EventWriter
    private let settings: Settings
    private let logger: Logger

    public init(kafka: KafkaConfiguration, writer: EventWriter, settings: Settings = Settings(), logger: Logger) {
        self.kafka = kafka
        self.writer = writer
        self.settings = settings
        self.logger = logger
    }

    /// The conversation states of one owned partition.
    private struct PartitionStates {
        var states: [String: ConversationState] = [:]

        mutating func apply(_ record: EventRecord) -> [ConversationDecision] {
            guard let event = try? ConversationEvent(record) else { return [] }
            // Taken out so the fold changes it in place instead of copying it.
            let (state, decisions) = ConversationFold.apply(states.removeValue(forKey: event.conversation), event)
            states[event.conversation] = state
            return decisions
        }
    }

    /// Processes until cancelled.
    public func run() async throws {
        let topic = writer.catalog[.conversations].name
        var configuration = kafka
        configuration["group.id"] = settings.groupId
        let consumer = try KafkaConsumer(configuration: configuration, logger: logger)
        try consumer.subscribe(topics: [topic])
        // The states belong to the processing loop alone; the watcher only marks partitions
        // that left, and the loop forgets them before its next batch, so a partition that
        // comes back is always rebuilt from the log (never resumed from states that missed
        // what another worker did meanwhile).
        var owned: [Int32: PartitionStates] = [:]
        let released = Locked<Set<Int32>>([])
        let watcher = Task {
            for await event in consumer.events {
                switch event {
                case .assigned(let partitions):
                    logger.info("processing partitions", metadata: ["partitions": "\(partitions.map(\.partition))"])
                case .revoked(let partitions), .lost(let partitions):
                    released.withLock { $0.formUnion(partitions.map(\.partition)) }
                    logger.info("released partitions", metadata: ["partitions": "\(partitions.map(\.partition))"])
                }
            }
        }
        var pending: [PendingDelivery] = []
        var processed: [TopicPartition: Int64] = [:]
        var lastCommit = ContinuousClock.now

        // Commits run beside the processing, one at a time and in order: each waits until the
        // deliveries it covers are durable, then commits their records' offsets. Processing
        // does not stop for them.
        typealias CommitJob = (deliveries: [PendingDelivery], offsets: [TopicPartition: Int64])
        let (commits, commitQueue) = AsyncStream.makeStream(of: CommitJob.self)
        let commitFailure = Locked<(any Error)?>(nil)
        let committer = Task {
            for await job in commits {
                do {
                    for delivery in job.deliveries { _ = try await delivery.report() }
                } catch {
                    commitFailure.withLock { $0 = error }
                    return
                }
                do {
                    try await consumer.commit(job.offsets)
                } catch {
                    // Partitions revoked meanwhile refuse the commit; their new owner redoes the
                    // work, and the repeated deliveries are recognised by their origin ids.
                    logger.warning("commit refused", metadata: ["error": "\(error)"])
                }
            }
        }

        func commit() throws {
            // A delivery that failed for good stops the processor: its records must not be
            // committed, and a restart redoes them.
            if let failure = commitFailure.value { throw failure }
            commitQueue.yield((pending, processed))
            (pending, processed) = ([], [:])
            lastCommit = .now
        }

        do {
            for try await batch in consumer.batchesWithIdleTicks {
                for partition in released.withLock({ released in defer { released = [] }; return released }) {
                    owned[partition] = nil
                }
                for kafkaRecord in batch {
                    let partition = kafkaRecord.partition
                    if owned[partition] == nil {
                        owned[partition] = try await rebuild(kafkaRecord.topicPartition, before: kafkaRecord.offset)
                    }
                    if let record = EventRecord(kafkaRecord) {
                        // Applied in place in the dictionary, so no state is copied.
                        let decisions = owned[partition]!.apply(record)
                        for delivery in FanOut.deliveries(for: decisions, source: record.position) {
                            pending.append(try await writer.enqueue(writer.inboxRecord(delivery.event, for: delivery.recipient)))
                        }
                    }
                    processed[kafkaRecord.topicPartition] = kafkaRecord.offset + 1
                }
                // An idle tick (an empty batch) commits too: the next record may be a long time
                // away, and until then the group's lag would show work as not done.
                let due = pending.count >= settings.commitEvery || ContinuousClock.now - lastCommit >= settings.commitInterval
                    || batch.isEmpty
                if due && !processed.isEmpty {
                    try commit()
                }
            }
            try commit()
            commitQueue.finish()
            await committer.value
            if let failure = commitFailure.value { throw failure }
        } catch {
            commitQueue.finish()
            committer.cancel()
            watcher.cancel()
            await consumer.close()
            throw error
        }
        watcher.cancel()
        await consumer.close()
    }

    /// Replays a partition from its start up to `offset` without writing anything.
    private func rebuild(_ partition: TopicPartition, before offset: Int64) async throws -> PartitionStates {
        var states = PartitionStates()
        var replayed = 0
        let started = ContinuousClock.now
        try await PartitionScanner(kafka: kafka, logger: logger).scan(partition, until: offset) { batch in
            for kafkaRecord in batch {
                guard let record = EventRecord(kafkaRecord) else { continue }
                _ = states.apply(record)
                replayed += 1
            }
        }
        logger.info(
            "rebuilt partition state",
            metadata: [
                "partition": "\(partition)", "events": "\(replayed)", "conversations": "\(states.states.count)",
                "seconds": "\((ContinuousClock.now - started).components.seconds)",
            ]
        )
        return states
    }
}
