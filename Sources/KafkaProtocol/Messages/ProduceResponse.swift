/// Produce (key 0) response, v0–7. Its throttle time comes last, unlike most responses.
public struct ProduceResponse: KafkaMessage {
    public static let apiKey = APIKey.produce

    public struct Partition: KafkaWireStruct {
        public var index: Int32 = 0
        public var errorCode: Int16 = 0
        public var baseOffset: Int64 = -1
        public var logAppendTimeMs: Int64 = -1
        public var logStartOffset: Int64 = -1

        public init() {}

        public init(
            index: Int32, errorCode: KafkaErrorCode, baseOffset: Int64 = -1,
            logAppendTimeMs: Int64 = -1, logStartOffset: Int64 = -1
        ) {
            self.index = index
            self.errorCode = errorCode.rawValue
            self.baseOffset = baseOffset
            self.logAppendTimeMs = logAppendTimeMs
            self.logStartOffset = logStartOffset
        }

        public mutating func serialize<Coder: KafkaWireCoder>(_ coder: inout Coder) throws(Coder.Failure) {
            try coder.int32(&index)
            try coder.int16(&errorCode)
            try coder.int64(&baseOffset)
            if coder.version >= 2 { try coder.int64(&logAppendTimeMs) }
            if coder.version >= 5 { try coder.int64(&logStartOffset) }
        }
    }

    public struct Topic: KafkaWireStruct {
        public var name = ""
        public var partitions: [Partition] = []

        public init() {}

        public init(name: String, partitions: [Partition]) {
            self.name = name
            self.partitions = partitions
        }

        public mutating func serialize<Coder: KafkaWireCoder>(_ coder: inout Coder) throws(Coder.Failure) {
            try coder.string(&name)
            try coder.array(&partitions)
        }
    }

    public var topics: [Topic] = []
    public var throttleTimeMs: Int32 = 0

    public init() {}

    public init(topics: [Topic]) { self.topics = topics }

    public mutating func serialize<Coder: KafkaWireCoder>(_ coder: inout Coder) throws(Coder.Failure) {
        try coder.array(&topics)
        if coder.version >= 1 { try coder.int32(&throttleTimeMs) }
    }
}
