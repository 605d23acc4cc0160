public import NIOCore

/// SyncGroup (key 14) response, v0–3.
public struct SyncGroupResponse: KafkaMessage {
    public static let apiKey = APIKey.syncGroup

    public var throttleTimeMs: Int32 = 0
    public var errorCode: Int16 = 0
    public var assignment = ByteBuffer()

    public init() {}

    public init(errorCode: KafkaErrorCode, assignment: ByteBuffer = ByteBuffer()) {
        self.errorCode = errorCode.rawValue
        self.assignment = assignment
    }

    public mutating func serialize<Coder: KafkaWireCoder>(_ coder: inout Coder) throws(Coder.Failure) {
        if coder.version >= 1 { try coder.int32(&throttleTimeMs) }
        try coder.int16(&errorCode)
        try coder.bytes(&assignment)
    }
}
