/// Heartbeat (key 12) response, v0–3.
public struct HeartbeatResponse: KafkaMessage {
    public static let apiKey = APIKey.heartbeat

    public var throttleTimeMs: Int32 = 0
    public var errorCode: Int16 = 0

    public init() {}

    public init(errorCode: KafkaErrorCode) { self.errorCode = errorCode.rawValue }

    public mutating func serialize<Coder: KafkaWireCoder>(_ coder: inout Coder) throws(Coder.Failure) {
        if coder.version >= 1 { try coder.int32(&throttleTimeMs) }
        try coder.int16(&errorCode)
    }
}
