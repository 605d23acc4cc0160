import CRdKafka
import Logging
import Synchronization

/// Owns one `rd_kafka_t` and the Swift object its C callbacks reach through the opaque
/// pointer. The handle is destroyed exactly once: by `destroy()` or, failing that, in deinit.
final class RDKafkaClient: Sendable {
    nonisolated(unsafe) let handle: OpaquePointer
    let callbacks: RDKafkaCallbacks
    private let destroyed = Atomic(false)

    init(
        type: rd_kafka_type_t, configuration: KafkaConfiguration, callbacks: RDKafkaCallbacks,
        configure: (OpaquePointer) -> Void = { _ in }
    ) throws(KafkaError) {
        let conf = try configuration.makeConf()
        rd_kafka_conf_set_opaque(conf, Unmanaged.passUnretained(callbacks).toOpaque())
        rd_kafka_conf_set_log_cb(conf, rdKafkaLog)
        rd_kafka_conf_set_error_cb(conf, rdKafkaError)
        configure(conf)
        var errorText = [CChar](repeating: 0, count: 512)
        guard let handle = rd_kafka_new(type, conf, &errorText, errorText.count) else {
            rd_kafka_conf_destroy(conf)  // rd_kafka_new frees the conf only on success
            throw .configuration(String(cBuffer: errorText))
        }
        self.handle = handle
        self.callbacks = callbacks
    }

    /// Destroys the handle now (it may block while librdkafka stops its threads).
    func destroy() {
        if destroyed.exchange(true, ordering: .acquiringAndReleasing) == false {
            rd_kafka_destroy(handle)
        }
    }

    deinit {
        destroy()
    }
}

/// The Swift side of librdkafka's callbacks for one client.
final class RDKafkaCallbacks: Sendable {
    let logger: Logger
    /// Delivery reports of in-flight produces, by message id (producers only).
    let deliveries = DeliveryRegistry()
    /// Where rebalance callbacks are handled (consumers only).
    let rebalance: Mutex<(@Sendable (OpaquePointer, rd_kafka_resp_err_t, UnsafeMutablePointer<rd_kafka_topic_partition_list_t>) -> Void)?>

    init(logger: Logger) {
        self.logger = logger
        self.rebalance = Mutex(nil)
    }

    static func from(_ opaque: UnsafeMutableRawPointer?) -> RDKafkaCallbacks {
        Unmanaged<RDKafkaCallbacks>.fromOpaque(opaque!).takeUnretainedValue()
    }
}

private func rdKafkaLog(_ handle: OpaquePointer?, _ level: Int32, _ facility: UnsafePointer<CChar>?, _ text: UnsafePointer<CChar>?) {
    guard let handle, let opaque = rd_kafka_opaque(handle) else { return }
    let logger = RDKafkaCallbacks.from(opaque).logger
    let swiftLevel: Logger.Level = switch level {
    case ...2: .critical
    case 3: .error
    case 4: .warning
    case 5: .notice
    case 6: .info
    default: .debug
    }
    logger.log(
        level: swiftLevel, "\(text.map { String(cString: $0) } ?? "")",
        metadata: ["librdkafka": "\(facility.map { String(cString: $0) } ?? "")"]
    )
}

private func rdKafkaError(_ handle: OpaquePointer?, _ code: Int32, _ reason: UnsafePointer<CChar>?, _ opaque: UnsafeMutableRawPointer?) {
    guard let opaque else { return }
    let logger = RDKafkaCallbacks.from(opaque).logger
    let text = reason.map { String(cString: $0) } ?? ""
    if code == RD_KAFKA_RESP_ERR__FATAL.rawValue, let handle {
        var detail = [CChar](repeating: 0, count: 512)
        let fatal = rd_kafka_fatal_error(handle, &detail, detail.count)
        logger.critical("fatal Kafka client error", metadata: ["code": "\(fatal.rawValue)", "reason": "\(String(cBuffer: detail))"])
    } else {
        // Transient: librdkafka retries (a broker restarting, a connection refused).
        logger.warning("Kafka client error", metadata: ["code": "\(code)", "reason": "\(text)"])
    }
}
