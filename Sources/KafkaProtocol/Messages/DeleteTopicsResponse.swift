/// DeleteTopics (key 20) response, v0–3.
public struct DeleteTopicsResponse: KafkaMessage {
    public static let apiKey = APIKey.deleteTopics

    public struct Result: KafkaWireStruct {
        public var name = ""
        public var errorCode: Int16 = 0

        public init() {}

        public init(name: String, errorCode: KafkaErrorCode) {
            self.name = name
            self.errorCode = errorCode.rawValue
        }

        public mutating func serialize<Coder: KafkaWireCoder>(_ coder: inout Coder) throws(Coder.Failure) {
            try coder.string(&name)
            try coder.int16(&errorCode)
        }
    }

    public var throttleTimeMs: Int32 = 0
    public var responses: [Result] = []

    public init() {}

    public init(responses: [Result]) { self.responses = responses }

    public mutating func serialize<Coder: KafkaWireCoder>(_ coder: inout Coder) throws(Coder.Failure) {
        if coder.version >= 1 { try coder.int32(&throttleTimeMs) }
        try coder.array(&responses)
    }
}
