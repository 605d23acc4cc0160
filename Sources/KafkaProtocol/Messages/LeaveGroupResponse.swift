/// LeaveGroup (key 13) response, v0–1.
public struct LeaveGroupResponse: KafkaMessage {
    public static let apiKey = APIKey.leaveGroup

    public var throttleTimeMs: Int32 = 0
    public var errorCode: Int16 = 0

    public init() {}

    public init(errorCode: KafkaErrorCode) { self.errorCode = errorCode.rawValue }

    public mutating func serialize<Coder: KafkaWireCoder>(_ coder: inout Coder) throws(Coder.Failure) {
        if coder.version >= 1 { try coder.int32(&throttleTimeMs) }
        try coder.int16(&errorCode)
    }
}
