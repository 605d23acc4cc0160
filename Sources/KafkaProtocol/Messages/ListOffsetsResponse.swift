/// ListOffsets (key 2) response, v1–5.
public struct ListOffsetsResponse: KafkaMessage {
    public static let apiKey = APIKey.listOffsets

    public struct Partition: KafkaWireStruct {
        public var partitionIndex: Int32 = 0
        public var errorCode: Int16 = 0
        public var timestamp: Int64 = -1
        public var offset: Int64 = -1
        public var leaderEpoch: Int32 = -1

        public init() {}

        public init(partitionIndex: Int32, errorCode: KafkaErrorCode, timestamp: Int64 = -1, offset: Int64 = -1) {
            self.partitionIndex = partitionIndex
            self.errorCode = errorCode.rawValue
            self.timestamp = timestamp
            self.offset = offset
        }

        public mutating func serialize<Coder: KafkaWireCoder>(_ coder: inout Coder) throws(Coder.Failure) {
            try coder.int32(&partitionIndex)
            try coder.int16(&errorCode)
            try coder.int64(&timestamp)
            try coder.int64(&offset)
            if coder.version >= 4 { try coder.int32(&leaderEpoch) }
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
        if coder.version >= 2 { try coder.int32(&throttleTimeMs) }
        try coder.array(&topics)
    }
}
