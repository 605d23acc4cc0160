import CRdKafka
import Foundation
import Logging
import Synchronization

/// A change of the partitions assigned to a group consumer.
public enum KafkaConsumerEvent: Hashable, Sendable {
    case assigned([TopicPartition])
    /// Taken away in an orderly rebalance: commit what was processed, if anything.
    case revoked([TopicPartition])
    /// Taken away without a rebalance (the session expired): another member may already own them.
    case lost([TopicPartition])
}

/// A consumer over librdkafka, read as an `AsyncSequence` of records.
///
/// It is pull-based: librdkafka fetches ahead up to its queue limits and nothing more is
/// taken until the reader asks, which is the backpressure. Blocking calls run on dedicated
/// dispatch queues, never on the Swift concurrency pool. Offsets are committed explicitly,
/// after the caller's own work (`enable.auto.commit` is off by default), so a projection can
/// commit after its transaction.
///
/// - Important: iterate ``records`` from one task at a time.
public final class KafkaConsumer: Sendable {
    public static let defaultProperties = [
        "enable.auto.commit": "false",
        "enable.auto.offset.store": "false",
        "auto.offset.reset": "earliest",
        "socket.nagle.disable": "true",
        "fetch.wait.max.ms": "100",
    ]

    private let client: RDKafkaClient
    nonisolated(unsafe) private let queue: OpaquePointer
    private let lifetime = ClientLifetime()
    private let pollQueue = DispatchQueue(label: "kafka-consumer-poll")
    private let callQueue = DispatchQueue(label: "kafka-consumer-calls", attributes: .concurrent)
    private let eventSink: AsyncStream<KafkaConsumerEvent>.Continuation
    private let logger: Logger

    /// Assignment changes from group rebalances (newest 1,000 kept if nobody reads them).
    public let events: AsyncStream<KafkaConsumerEvent>

    /// - Parameter startOffsets: for group consumers that keep their own position (a
    ///   projection storing offsets with its rows): called when partitions are assigned, it
    ///   returns where to start in each; partitions it leaves out start from the group's
    ///   committed offset.
    public init(
        configuration: KafkaConfiguration, logger: Logger,
        startOffsets: (@Sendable ([TopicPartition]) -> [TopicPartition: Int64])? = nil
    ) throws {
        let callbacks = RDKafkaCallbacks(logger: logger)
        // librdkafka's consumer needs a group even to read assigned partitions; one that
        // never subscribes never joins it, so a private name does no harm.
        let configuration = configuration.withDefaults(
            Self.defaultProperties.merging(["group.id": "chat-reader-\(UUID().uuidString.lowercased())"]) { $1 }
        )
        client = try RDKafkaClient(
            type: RD_KAFKA_CONSUMER, configuration: configuration,
            callbacks: callbacks
        ) { conf in
            rd_kafka_conf_set_rebalance_cb(conf, rebalanceCallback)
        }
        self.logger = logger
        (events, eventSink) = AsyncStream.makeStream(of: KafkaConsumerEvent.self, bufferingPolicy: .bufferingNewest(1000))
        // Serve logs, errors and rebalances from the queue the records come from.
        rd_kafka_poll_set_consumer(client.handle)
        queue = rd_kafka_queue_get_consumer(client.handle)!
        callbacks.rebalance.withLock { [eventSink, logger] in
            $0 = { handle, error, partitions in
                if error == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS, let startOffsets {
                    let chosen = startOffsets(PartitionList.entries(partitions).map(\.0))
                    for index in 0..<Int(partitions.pointee.cnt) {
                        let element = partitions.pointee.elems[index]
                        let partition = TopicPartition(topic: String(cString: element.topic), partition: element.partition)
                        if let offset = chosen[partition] { partitions.pointee.elems[index].offset = offset }
                    }
                }
                Self.rebalance(handle: handle, error: error, partitions: partitions, sink: eventSink, logger: logger)
            }
        }
    }

    deinit {
        eventSink.finish()
    }

    // MARK: - Choosing partitions

    /// Joins the consumer group (`group.id`) for `topics`; partitions arrive as ``events``.
    public func subscribe(topics: [String]) throws {
        let list = PartitionList.make(topics.map { (TopicPartition(topic: $0, partition: RD_KAFKA_PARTITION_UA), nil) })
        defer { rd_kafka_topic_partition_list_destroy(list) }
        let error = try lifetime.use { rd_kafka_subscribe(client.handle, list) }
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(error, context: "subscribe") }
    }

    /// Reads exactly these partitions from these offsets (``KafkaOffset`` for logical ones),
    /// outside any group rebalancing.
    public func assign(_ partitions: [TopicPartition: Int64]) throws {
        let list = PartitionList.make(partitions.map { ($0.key, $0.value) })
        defer { rd_kafka_topic_partition_list_destroy(list) }
        let error = try lifetime.use { rd_kafka_assign(client.handle, list) }
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(error, context: "assign") }
    }

    /// The partitions currently assigned.
    public func assignment() throws -> [TopicPartition] {
        try lifetime.use {
            var list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?
            let error = rd_kafka_assignment(client.handle, &list)
            guard error == RD_KAFKA_RESP_ERR_NO_ERROR, let list else { throw KafkaError(error, context: "assignment") }
            defer { rd_kafka_topic_partition_list_destroy(list) }
            return PartitionList.entries(list).map(\.0)
        }
    }

    private static func rebalance(
        handle: OpaquePointer, error: rd_kafka_resp_err_t,
        partitions: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>,
        sink: AsyncStream<KafkaConsumerEvent>.Continuation, logger: Logger
    ) {
        let changed = PartitionList.entries(partitions).map(\.0)
        let cooperative = rd_kafka_rebalance_protocol(handle).map { String(cString: $0) } == "COOPERATIVE"
        switch error {
        case RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS:
            if cooperative {
                if let failure = rd_kafka_incremental_assign(handle, partitions) {
                    logger.error("incremental assign failed", metadata: ["error": "\(KafkaError(consuming: failure))"])
                }
            } else {
                rd_kafka_assign(handle, partitions)
            }
            sink.yield(.assigned(changed))
        case RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS:
            sink.yield(rd_kafka_assignment_lost(handle) != 0 ? .lost(changed) : .revoked(changed))
            if cooperative {
                if let failure = rd_kafka_incremental_unassign(handle, partitions) {
                    logger.error("incremental unassign failed", metadata: ["error": "\(KafkaError(consuming: failure))"])
                }
            } else {
                rd_kafka_assign(handle, nil)
            }
        default:
            logger.error("rebalance failed", metadata: ["error": "\(KafkaError(error))"])
            rd_kafka_assign(handle, nil)
        }
    }

    // MARK: - Reading

    /// The records of the assigned partitions, in offset order per partition. Ends when the
    /// consumer is closed or the reading task is cancelled.
    public var records: Records { Records(consumer: self) }

    public struct Records: AsyncSequence, Sendable {
        public typealias Element = KafkaRecord
        let consumer: KafkaConsumer

        public func makeAsyncIterator() -> Iterator { Iterator(consumer: consumer) }

        public struct Iterator: AsyncIteratorProtocol {
            let consumer: KafkaConsumer
            var buffered: [KafkaRecord] = []
            var index = 0

            public mutating func next() async throws -> KafkaRecord? {
                while index >= buffered.count {
                    if Task.isCancelled || consumer.lifetime.isClosed { return nil }
                    buffered = try await consumer.poll(maxRecords: 1000, timeoutMs: 100)
                    index = 0
                }
                defer { index += 1 }
                return buffered[index]
            }
        }
    }

    /// The same records in the batches they arrive in (never empty), for readers that apply
    /// a whole batch at once, e.g. in one database transaction.
    public var batches: Batches { Batches(consumer: self) }

    public struct Batches: AsyncSequence, Sendable {
        public typealias Element = [KafkaRecord]
        let consumer: KafkaConsumer

        public func makeAsyncIterator() -> Iterator { Iterator(consumer: consumer) }

        public struct Iterator: AsyncIteratorProtocol {
            let consumer: KafkaConsumer

            public mutating func next() async throws -> [KafkaRecord]? {
                while true {
                    if Task.isCancelled || consumer.lifetime.isClosed { return nil }
                    let batch = try await consumer.poll(maxRecords: 1000, timeoutMs: 100)
                    if !batch.isEmpty { return batch }
                }
            }
        }
    }

    /// Calls `body` with each batch (in offset order per partition) on this consumer's own
    /// thread, until the calling task is cancelled. With `reportingIdle`, an empty batch also
    /// comes whenever `idleAfter` passes without a record.
    ///
    /// For readers whose work on a batch is synchronous, such as a database transaction: the
    /// batch is handled on the thread that took it from librdkafka, with no hop to the
    /// concurrency pool and back for every batch. `body` may block; it holds up only this
    /// consumer. An error it throws ends the loop and is rethrown here. ``close()`` runs on
    /// the same thread, so it waits until the loop has ended.
    public func consume(
        reportingIdle: Bool = false, idleAfter: Duration = .milliseconds(100), _ body: @escaping @Sendable ([KafkaRecord]) throws -> Void
    ) async throws {
        let stop = StopFlag()
        let timeout = Int32(clamping: max(1, idleAfter.milliseconds))
        try await withTaskCancellationHandler {
            try await onPollThread(whenClosed: ()) { [self] in
                while !stop.isSet {
                    let batch = try takeQueued(maxRecords: 1000, timeoutMs: timeout)
                    if !batch.isEmpty || reportingIdle { try body(batch) }
                }
            }
        } onCancel: {
            stop.set()
        }
    }

    /// Waits up to `timeoutMs` for the first record, then takes what else is already queued.
    func poll(maxRecords: Int, timeoutMs: Int32) async throws -> [KafkaRecord] {
        try await onPollThread(whenClosed: []) { [self] in try takeQueued(maxRecords: maxRecords, timeoutMs: timeoutMs) }
    }

    /// Runs `body` on the poll thread while the client is open; a closed client gives
    /// `whenClosed` instead of an error.
    private func onPollThread<T: Sendable>(whenClosed: T, _ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            pollQueue.async { [lifetime] in
                continuation.resume(with: Result { try lifetime.use(body) }.flatMapError { error in
                    (error as? KafkaError) == .closed ? .success(whenClosed) : .failure(error)
                })
            }
        }
    }

    private func takeQueued(maxRecords: Int, timeoutMs: Int32) throws -> [KafkaRecord] {
        // consume_batch waits for a full batch or the timeout; consume_queue returns at the
        // first message, so take one that way and then drain without waiting.
        guard let first = rd_kafka_consume_queue(queue, timeoutMs) else { return [] }
        var messages = [first]
        var more = [UnsafeMutablePointer<rd_kafka_message_t>?](repeating: nil, count: maxRecords - 1)
        let count = rd_kafka_consume_batch_queue(queue, 0, &more, more.count)
        if count > 0 { messages += more[0..<count].compactMap { $0 } }
        var records: [KafkaRecord] = []
        records.reserveCapacity(messages.count)
        var failure: KafkaError?
        for message in messages {
            defer { rd_kafka_message_destroy(message) }
            let error = message.pointee.err
            if error == RD_KAFKA_RESP_ERR_NO_ERROR {
                records.append(KafkaRecord(copying: message))
            } else if error != RD_KAFKA_RESP_ERR__PARTITION_EOF {
                let reported = KafkaError(error, context: "consume")
                if error == RD_KAFKA_RESP_ERR__FATAL { failure = reported }
                logger.warning("consumer error", metadata: ["error": "\(reported)"])
            }
        }
        if let failure { throw failure }
        return records
    }

    // MARK: - Offsets

    /// Commits, for each partition, the offset of the next record to read, and returns once
    /// the broker has stored them.
    public func commit(_ offsets: [TopicPartition: Int64]) async throws {
        guard !offsets.isEmpty else { return }
        try await blocking { [self] in
            let list = PartitionList.make(offsets.map { ($0.key, $0.value) })
            defer { rd_kafka_topic_partition_list_destroy(list) }
            let error = rd_kafka_commit(client.handle, list, 0)
            guard error == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(error, context: "commit") }
            if let failed = PartitionList.entries(list).first(where: { $0.2 != 0 }) {
                throw KafkaError(rd_kafka_resp_err_t(failed.2), context: "commit \(failed.0)")
            }
        }
    }

    /// Commits the position after `record`.
    public func commit(after record: KafkaRecord) async throws {
        try await commit([record.topicPartition: record.offset + 1])
    }

    /// The group's committed offsets for `partitions` (nil where nothing was committed).
    public func committed(_ partitions: [TopicPartition], timeout: Duration = .seconds(10)) async throws -> [TopicPartition: Int64?] {
        try await blocking { [self] in
            let list = PartitionList.make(partitions.map { ($0, nil) })
            defer { rd_kafka_topic_partition_list_destroy(list) }
            let error = rd_kafka_committed(client.handle, list, Int32(timeout.milliseconds))
            guard error == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(error, context: "committed") }
            var result: [TopicPartition: Int64?] = [:]
            for (partition, offset, _) in PartitionList.entries(list) {
                result[partition] = offset >= 0 ? offset : nil
            }
            return result
        }
    }

    /// The partition's log start offset and high watermark, asked of the broker.
    public func watermarks(_ partition: TopicPartition, timeout: Duration = .seconds(10)) async throws -> (low: Int64, high: Int64) {
        try await blocking { [self] in
            var low: Int64 = 0
            var high: Int64 = 0
            let error = rd_kafka_query_watermark_offsets(
                client.handle, partition.topic, partition.partition, &low, &high, Int32(timeout.milliseconds)
            )
            guard error == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(error, context: "watermarks \(partition)") }
            return (low, high)
        }
    }

    private func blocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            callQueue.async { [lifetime] in
                continuation.resume(with: Result { try lifetime.use(body) })
            }
        }
    }

    // MARK: - Closing

    /// Leaves the group (revoking partitions through ``events``) and frees the client. Any
    /// iteration of ``records`` ends.
    public func close() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            pollQueue.async { [self] in
                if !lifetime.isClosed {
                    rd_kafka_consumer_close(client.handle)
                    lifetime.close()
                    rd_kafka_queue_destroy(queue)
                    client.destroy()
                }
                eventSink.finish()
                continuation.resume()
            }
        }
    }
}

/// Tells a consumer's loop on its poll thread to stop; checked between polls.
private final class StopFlag: Sendable {
    private let flag = Atomic(false)

    var isSet: Bool { flag.load(ordering: .acquiring) }

    func set() { flag.store(true, ordering: .releasing) }
}

extension Duration {
    var milliseconds: Int64 {
        components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000
    }
}

/// librdkafka's rebalance callback, called on the consumer's poll queue.
private func rebalanceCallback(
    _ handle: OpaquePointer?, _ error: rd_kafka_resp_err_t,
    _ partitions: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?, _ opaque: UnsafeMutableRawPointer?
) {
    guard let handle, let partitions, let opaque else { return }
    RDKafkaCallbacks.from(opaque).rebalance.withLock { $0 }?(handle, error, partitions)
}
