/// CreateTopics (key 19) response, v0–4.
public struct CreateTopicsResponse: KafkaMessage {
    public static let apiKey = APIKey.createTopics

    public struct Topic: KafkaWireStruct {
        public var name = ""
        public var errorCode: Int16 = 0
        public var errorMessage: String?

        public init() {}

        public init(name: String, errorCode: KafkaErrorCode, errorMessage: String? = nil) {
            self.name = name
            self.errorCode = errorCode.rawValue
            self.errorMessage = errorMessage
        }

        public mutating func serialize<Coder: KafkaWireCoder>(_ coder: inout Coder) throws(Coder.Failure) {
            try coder.string(&name)
            try coder.int16(&errorCode)
            if coder.version >= 1 { try coder.nullableString(&errorMessage) }
        }
    }

    public var throttleTimeMs: Int32 = 0
    public var topics: [Topic] = []

    public init() {}

    public init(topics: [Topic]) { self.topics = topics }

    public mutating func serialize<Coder: KafkaWireCoder>(_ coder: inout Coder) throws(Coder.Failure) {
        if coder.version >= 2 { try coder.int32(&throttleTimeMs) }
        try coder.array(&topics)
    }
}
