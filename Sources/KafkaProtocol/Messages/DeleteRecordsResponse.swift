/// DeleteRecords (key 21) response, v0–1.
public struct DeleteRecordsResponse: KafkaMessage {
    public static let apiKey = APIKey.deleteRecords

    public struct Partition: KafkaWireStruct {
        public var partitionIndex: Int32 = 0
        public var lowWatermark: Int64 = -1
        public var errorCode: Int16 = 0

        public init() {}

        public init(partitionIndex: Int32, lowWatermark: Int64, errorCode: KafkaErrorCode) {
            self.partitionIndex = partitionIndex
            self.lowWatermark = lowWatermark
            self.errorCode = errorCode.rawValue
        }

        public mutating func serialize<Coder: KafkaWireCoder>(_ coder: inout Coder) throws(Coder.Failure) {
            try coder.int32(&partitionIndex)
            try coder.int64(&lowWatermark)
            try coder.int16(&errorCode)
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

    public var throttleTimeMs: Int32 = 0
    public var topics: [Topic] = []

    public init() {}

    public init(topics: [Topic]) { self.topics = topics }

    public mutating func serialize<Coder: KafkaWireCoder>(_ coder: inout Coder) throws(Coder.Failure) {
        try coder.int32(&throttleTimeMs)
        try coder.array(&topics)
    }
}
