import CRdKafka

/// A failure reported by librdkafka or by the broker through it.
public struct KafkaError: Error, Hashable, Sendable, CustomStringConvertible {
    /// librdkafka's error code (`rd_kafka_resp_err_t`): negative for client-side errors,
    /// positive for the broker's Kafka protocol errors.
    public var code: Int32
    public var message: String
    /// The client is unusable and must be recreated.
    public var isFatal: Bool

    public init(code: Int32, message: String, isFatal: Bool = false) {
        self.code = code
        self.message = message
        self.isFatal = isFatal
    }

    init(_ code: rd_kafka_resp_err_t, context: String? = nil) {
        let text = String(cString: rd_kafka_err2str(code))
        self.init(code: code.rawValue, message: context.map { "\($0): \(text)" } ?? text)
    }

    /// Takes ownership of an `rd_kafka_error_t` and destroys it.
    init(consuming error: OpaquePointer) {
        defer { rd_kafka_error_destroy(error) }
        self.init(
            code: rd_kafka_error_code(error).rawValue,
            message: String(cString: rd_kafka_error_string(error)),
            isFatal: rd_kafka_error_is_fatal(error) != 0
        )
    }

    /// A configuration property was unknown or had a bad value.
    static func configuration(_ message: String) -> KafkaError {
        KafkaError(code: RD_KAFKA_RESP_ERR__INVALID_ARG.rawValue, message: message)
    }

    /// The client was closed while the operation waited.
    static let closed = KafkaError(code: RD_KAFKA_RESP_ERR__DESTROY.rawValue, message: "the Kafka client was closed")

    public static let timedOut = KafkaError(code: RD_KAFKA_RESP_ERR__TIMED_OUT.rawValue, message: "timed out")

    public var description: String { "Kafka error \(code): \(message)" }
}

extension String {
    /// The text of a NUL-terminated error buffer that librdkafka filled in.
    init(cBuffer: [CChar]) {
        let bytes = cBuffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        self.init(decoding: bytes, as: UTF8.self)
    }
}
