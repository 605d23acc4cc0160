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

    /// What processing keeps from one batch to the next. Only one thread uses it at a time:
    /// the consumer's, or the task while it rebuilds a partition.
    private struct Progress: Sendable {
        var owned: [Int32: PartitionStates] = [:]
        var pending: [PendingDelivery] = []
        var processed: [TopicPartition: Int64] = [:]
        var lastCommit = ContinuousClock.now
    }

    /// Processing met a partition whose states are not built yet: `rest` (from its record
    /// on) waits until they are.
    private struct NeedsRebuild: Error {
        var partition: TopicPartition
        var rest: ArraySlice<KafkaRecord>
    }

    /// Processes until cancelled.
    ///
    /// Batches are processed on the consumer's own thread (`KafkaConsumer.consume`), where
    /// librdkafka hands them over; the deliveries go to the producer from there too. Only
    /// rebuilding a newly assigned partition leaves that thread: it reads the log with a
    /// consumer of its own, so processing steps out of `consume`, awaits it, and goes on with
    /// the records it was holding.
    public func run() async throws {
        let topic = writer.catalog[.conversations].name
        var configuration = kafka
        configuration["group.id"] = settings.groupId
        let consumer = try KafkaConsumer(configuration: configuration, logger: logger)
        try consumer.subscribe(topics: [topic])
        // The watcher only marks partitions that left, and processing forgets their states
        // before its next batch, so a partition that comes back is always rebuilt from the
        // log (never resumed from states that missed what another worker did meanwhile).
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

        let progress = Locked(Progress())

        @Sendable func commit(_ progress: inout Progress) throws {
            // A delivery that failed for good stops the processor: its records must not be
            // committed, and a restart redoes them.
            if let failure = commitFailure.value { throw failure }
            commitQueue.yield((progress.pending, progress.processed))
            (progress.pending, progress.processed) = ([], [:])
            progress.lastCommit = .now
        }

        /// Folds `records` and hands their deliveries to the producer; an empty batch is an
        /// idle tick. Throws ``NeedsRebuild`` at the first record of a partition not built yet.
        @Sendable func process(_ records: ArraySlice<KafkaRecord>, _ progress: inout Progress) throws {
            for partition in released.withLock({ released in defer { released = [] }; return released }) {
                progress.owned[partition] = nil
            }
            for index in records.indices {
                let kafkaRecord = records[index]
                let partition = kafkaRecord.partition
                guard progress.owned[partition] != nil else {
                    throw NeedsRebuild(partition: kafkaRecord.topicPartition, rest: records[index...])
                }
                if let record = EventRecord(kafkaRecord) {
                    // Applied in place in the dictionary, so no state is copied.
                    let decisions = progress.owned[partition]!.apply(record)
                    for delivery in FanOut.deliveries(for: decisions, source: record.position) {
                        progress.pending.append(try writer.enqueue(writer.inboxRecord(delivery.event, for: delivery.recipient)))
                    }
                }
                progress.processed[kafkaRecord.topicPartition] = kafkaRecord.offset + 1
            }
            // An idle tick commits too: the next record may be a long time away, and until
            // then the group's lag would show work as not done.
            let due = progress.pending.count >= settings.commitEvery
                || ContinuousClock.now - progress.lastCommit >= settings.commitInterval || records.isEmpty
            if due && !progress.processed.isEmpty {
                try commit(&progress)
            }
        }

        do {
            var held: ArraySlice<KafkaRecord> = []
            while true {
                do {
                    if !held.isEmpty {
                        try progress.withLock { try process(held, &$0) }
                        held = []
                    }
                    // Returns when the task is cancelled.
                    try await consumer.consume(reportingIdle: true) { batch in
                        try progress.withLock { try process(batch[...], &$0) }
                    }
                    break
                } catch let stop as NeedsRebuild {
                    let states = try await rebuild(stop.partition, before: stop.rest.first!.offset)
                    // A rebuild cut short by cancellation is incomplete: decide nothing with it.
                    if Task.isCancelled { break }
                    progress.withLock { $0.owned[stop.partition.partition] = states }
                    held = stop.rest
                }
            }
            try progress.withLock { try commit(&$0) }
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
