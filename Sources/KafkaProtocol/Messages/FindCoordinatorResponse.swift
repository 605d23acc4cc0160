/// FindCoordinator (key 10) response, v0–2.
public struct FindCoordinatorResponse: KafkaMessage {
    public static let apiKey = APIKey.findCoordinator

    public var throttleTimeMs: Int32 = 0
    public var errorCode: Int16 = 0
    public var errorMessage: String?
    public var nodeId: Int32 = -1
    public var host = ""
    public var port: Int32 = -1

    public init() {}

    public init(errorCode: KafkaErrorCode, errorMessage: String? = nil, nodeId: Int32, host: String, port: Int32) {
        self.errorCode = errorCode.rawValue
        self.errorMessage = errorMessage
        self.nodeId = nodeId
        self.host = host
        self.port = port
    }

    public mutating func serialize<Coder: KafkaWireCoder>(_ coder: inout Coder) throws(Coder.Failure) {
        if coder.version >= 1 { try coder.int32(&throttleTimeMs) }
        try coder.int16(&errorCode)
        if coder.version >= 1 { try coder.nullableString(&errorMessage) }
        try coder.int32(&nodeId)
        try coder.string(&host)
        try coder.int32(&port)
    }
}
