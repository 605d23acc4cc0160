import CRdKafka
import Foundation
import Logging
import Synchronization

/// A record to produce.
public struct KafkaOutgoingRecord: Sendable {
    public var topic: String
    /// nil lets librdkafka's partitioner choose from the key (murmur2-compatible by default
    /// here, the Java client's choice, so every client agrees where a key lives).
    public var partition: Int32?
    public var key: Data?
    public var value: Data?
    public var headers: [KafkaHeader]

    public init(topic: String, partition: Int32? = nil, key: Data?, value: Data?, headers: [KafkaHeader] = []) {
        self.topic = topic
        self.partition = partition
        self.key = key
        self.value = value
        self.headers = headers
    }
}

/// A record handed to librdkafka whose delivery report has not been awaited yet.
public struct PendingDelivery: Sendable {
    let id: UInt
    let registry: DeliveryRegistry

    /// Waits for the delivery report (at most once per pending delivery, and not together
    /// with ``whenReported(_:)``).
    public func report() async throws -> KafkaDeliveryReport {
        try await registry.wait(for: id)
    }

    /// Calls `handler` with the delivery report instead of waiting for it: on the producer's
    /// poll thread, so the handler must only hand the result on. For callers that only act
    /// on a failure and would otherwise keep a task waiting for every record.
    public func whenReported(_ handler: @escaping @Sendable (Result<KafkaDeliveryReport, KafkaError>) -> Void) {
        registry.whenReported(id, handler)
    }
}

/// Where a produced record was stored.
public struct KafkaDeliveryReport: Hashable, Sendable {
    public var topic: String
    public var partition: Int32
    public var offset: Int64
}

/// A producer over librdkafka whose `send` returns once the broker has acknowledged the
/// record (with `acks=all` and idempotence by default, so the acknowledgement means durable
/// and written once).
///
/// Delivery reports are served by a dedicated thread blocked in `rd_kafka_poll`, which wakes
/// the moment a report arrives: no polling interval is added to a send's latency and the
/// Swift concurrency pool is never blocked.
public final class KafkaProducer: Sendable {
    /// Defaults for a chat backend: durable, exactly-once per partition, low latency.
    public static let defaultProperties = [
        "acks": "all",
        "enable.idempotence": "true",
        "linger.ms": "1",
        "socket.nagle.disable": "true",
        "partitioner": "murmur2_random",
    ]

    private let client: RDKafkaClient
    private let poller: Poller
    private let logger: Logger
    /// Handles of the topics named up front, held so librdkafka keeps them known.
    nonisolated(unsafe) private let knownTopics: [OpaquePointer]

    /// The poll thread's run flag and its exit signal.
    private final class Poller: Sendable {
        let running = Atomic(true)
        let done = DispatchSemaphore(value: 0)

        /// Stops the thread and waits for it; true the first time only.
        func stop() -> Bool {
            guard running.exchange(false, ordering: .acquiringAndReleasing) else { return false }
            done.wait()
            return true
        }
    }

    /// - Parameter topics: topics to look up at once. librdkafka 2.0 finds out about a topic
    ///   it has not met by a scan that runs once a second, so without this the first record
    ///   sent to each topic waited about a second.
    public init(configuration: KafkaConfiguration, topics: [String] = [], logger: Logger) throws {
        let callbacks = RDKafkaCallbacks(logger: logger)
        client = try RDKafkaClient(
            type: RD_KAFKA_PRODUCER, configuration: configuration.withDefaults(Self.defaultProperties),
            callbacks: callbacks
        ) { conf in
            rd_kafka_conf_set_dr_msg_cb(conf, deliveryReport)
        }
        self.logger = logger
        let handle = client.handle
        knownTopics = topics.compactMap { rd_kafka_topic_new(handle, $0, nil) }
        let poller = Poller()
        self.poller = poller
        let thread = Thread { [client] in
            // Named from inside, where Foundation passes it on to the OS (at most 15 characters).
            Thread.current.name = "producer-poll"
            while poller.running.load(ordering: .acquiring) {
                rd_kafka_poll(client.handle, 50)
            }
            poller.done.signal()
        }
        thread.start()
    }

    deinit {
        _ = poller.stop()
        client.callbacks.deliveries.failAll(.closed)
        knownTopics.forEach(rd_kafka_topic_destroy)
    }

    /// Produces `record` and returns where it was stored. The record is handed to
    /// librdkafka before this suspends, so records sent one after another from one task keep
    /// their order.
    /// - Throws: ``KafkaError`` if it could not be delivered (after librdkafka's retries) or
    ///   the producer was closed first.
    public func send(_ record: KafkaOutgoingRecord) async throws -> KafkaDeliveryReport {
        try await enqueue(record).report()
    }

    /// Produces `records` in order and returns their reports in the same order, without
    /// waiting for one before handing over the next.
    public func send(_ records: [KafkaOutgoingRecord]) async throws -> [KafkaDeliveryReport] {
        var pending: [PendingDelivery] = []
        pending.reserveCapacity(records.count)
        for record in records { pending.append(try await enqueue(record)) }
        var reports: [KafkaDeliveryReport] = []
        reports.reserveCapacity(pending.count)
        for delivery in pending { reports.append(try await delivery.report()) }
        return reports
    }

    /// Hands `record` to librdkafka and returns at once; its report comes from
    /// ``PendingDelivery/report()``. Lets a caller keep many records in flight, in order.
    public func enqueue(_ record: KafkaOutgoingRecord) async throws -> PendingDelivery {
        while true {
            if let id = try handOver(record) { return PendingDelivery(id: id, registry: client.callbacks.deliveries) }
            try await Task.sleep(for: .milliseconds(1))
        }
    }

    /// The same hand-over for a thread outside the concurrency pool (a consumer's own thread,
    /// see ``KafkaConsumer/consume(reportingIdle:idleAfter:_:)``): it blocks that thread while
    /// librdkafka's queue is full.
    public func enqueue(_ record: KafkaOutgoingRecord) throws -> PendingDelivery {
        while true {
            if let id = try handOver(record) { return PendingDelivery(id: id, registry: client.callbacks.deliveries) }
            usleep(1000)
        }
    }

    /// Hands the record to librdkafka; nil if its queue is full (backpressure: try again soon).
    private func handOver(_ record: KafkaOutgoingRecord) throws -> UInt? {
        guard poller.running.load(ordering: .acquiring) else { throw KafkaError.closed }
        let id = client.callbacks.deliveries.reserve()
        guard let error = produce(record, id: id) else { return id }
        client.callbacks.deliveries.release(id)
        guard error.code == RD_KAFKA_RESP_ERR__QUEUE_FULL.rawValue else { throw error }
        return nil
    }

    private func produce(_ record: KafkaOutgoingRecord, id: UInt) -> KafkaError? {
        let headers: OpaquePointer? = record.headers.isEmpty ? nil : rd_kafka_headers_new(record.headers.count)
        for header in record.headers {
            if let value = header.value {
                value.withUnsafeBytes { _ = rd_kafka_header_add(headers, header.key, -1, $0.baseAddress, $0.count) }
            } else {
                _ = rd_kafka_header_add(headers, header.key, -1, nil, 0)
            }
        }
        let result: OpaquePointer? = record.topic.withCString { topic in
            withOptionalBytes(record.key) { key in
                withOptionalBytes(record.value) { value in
                    var fields: [rd_kafka_vu_t] = []
                    var field = rd_kafka_vu_t()
                    field.vtype = RD_KAFKA_VTYPE_TOPIC
                    field.u.cstr = topic
                    fields.append(field)
                    if let partition = record.partition {
                        field = rd_kafka_vu_t()
                        field.vtype = RD_KAFKA_VTYPE_PARTITION
                        field.u.i32 = partition
                        fields.append(field)
                    }
                    field = rd_kafka_vu_t()
                    field.vtype = RD_KAFKA_VTYPE_MSGFLAGS
                    field.u.i = RD_KAFKA_MSG_F_COPY
                    fields.append(field)
                    if let key {
                        field = rd_kafka_vu_t()
                        field.vtype = RD_KAFKA_VTYPE_KEY
                        field.u.mem.ptr = UnsafeMutableRawPointer(mutating: key.baseAddress)
                        field.u.mem.size = key.count
                        fields.append(field)
                    }
                    if let value {
                        field = rd_kafka_vu_t()
                        field.vtype = RD_KAFKA_VTYPE_VALUE
                        field.u.mem.ptr = UnsafeMutableRawPointer(mutating: value.baseAddress)
                        field.u.mem.size = value.count
                        fields.append(field)
                    }
                    if let headers {
                        field = rd_kafka_vu_t()
                        field.vtype = RD_KAFKA_VTYPE_HEADERS
                        field.u.headers = headers
                        fields.append(field)
                    }
                    field = rd_kafka_vu_t()
                    field.vtype = RD_KAFKA_VTYPE_OPAQUE
                    field.u.ptr = UnsafeMutableRawPointer(bitPattern: id)
                    fields.append(field)
                    return rd_kafka_produceva(client.handle, fields, fields.count)
                }
            }
        }
        guard let result else { return nil }
        // On failure the headers were not taken over by librdkafka.
        if let headers { rd_kafka_headers_destroy(headers) }
        return KafkaError(consuming: result)
    }

    /// Waits until every record handed over so far has been delivered or failed.
    public func flush(timeout: Duration = .seconds(30)) async throws {
        let deadline = ContinuousClock.now + timeout
        while client.callbacks.deliveries.inFlight > 0 || rd_kafka_outq_len(client.handle) > 0 {
            guard ContinuousClock.now < deadline else { throw KafkaError.timedOut }
            try await Task.sleep(for: .milliseconds(2))
        }
    }

    /// Delivers what is queued (up to `timeout`), stops the poll thread and fails anything
    /// still waiting. The producer cannot send afterwards.
    public func close(timeout: Duration = .seconds(30)) async {
        do {
            try await flush(timeout: timeout)
        } catch {
            logger.warning("closing the producer with undelivered records", metadata: ["error": "\(error)"])
        }
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async { [poller] in
                _ = poller.stop()
                continuation.resume()
            }
        }
        client.callbacks.deliveries.failAll(.closed)
    }
}

private func withOptionalBytes<R>(_ data: Data?, _ body: (UnsafeRawBufferPointer?) -> R) -> R {
    guard let data else { return body(nil) }
    return data.withUnsafeBytes { body($0) }
}

/// librdkafka's delivery report callback, called on the producer's poll thread.
private func deliveryReport(
    _ handle: OpaquePointer?, _ message: UnsafePointer<rd_kafka_message_t>?, _ opaque: UnsafeMutableRawPointer?
) {
    guard let message, let opaque else { return }
    let raw = message.pointee
    let id = UInt(bitPattern: raw._private)
    let callbacks = RDKafkaCallbacks.from(opaque)
    if raw.err == RD_KAFKA_RESP_ERR_NO_ERROR {
        let topic = String(cString: rd_kafka_topic_name(raw.rkt))
        callbacks.deliveries.complete(id, with: .success(KafkaDeliveryReport(topic: topic, partition: raw.partition, offset: raw.offset)))
    } else {
        callbacks.deliveries.complete(id, with: .failure(KafkaError(raw.err)))
    }
}
