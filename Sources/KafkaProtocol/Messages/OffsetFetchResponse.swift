/// OffsetFetch (key 9) response, v1–5. Its top-level error code follows the topics.
public struct OffsetFetchResponse: KafkaMessage {
    public static let apiKey = APIKey.offsetFetch

    public struct Partition: KafkaWireStruct {
        public var partitionIndex: Int32 = 0
        /// -1 when nothing was committed.
        public var committedOffset: Int64 = -1
        public var committedLeaderEpoch: Int32 = -1
        public var metadata: String? = ""
        public var errorCode: Int16 = 0

        public init() {}

        public init(partitionIndex: Int32, committedOffset: Int64, metadata: String?, errorCode: KafkaErrorCode = .none) {
            self.partitionIndex = partitionIndex
            self.committedOffset = committedOffset
            self.metadata = metadata
            self.errorCode = errorCode.rawValue
        }

        public mutating func serialize<Coder: KafkaWireCoder>(_ coder: inout Coder) throws(Coder.Failure) {
            try coder.int32(&partitionIndex)
            try coder.int64(&committedOffset)
            if coder.version >= 5 { try coder.int32(&committedLeaderEpoch) }
            try coder.nullableString(&metadata)
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
    public var errorCode: Int16 = 0

    public init() {}

    public init(topics: [Topic], errorCode: KafkaErrorCode = .none) {
        self.topics = topics
        self.errorCode = errorCode.rawValue
    }

    public mutating func serialize<Coder: KafkaWireCoder>(_ coder: inout Coder) throws(Coder.Failure) {
        if coder.version >= 3 { try coder.int32(&throttleTimeMs) }
        try coder.array(&topics)
        if coder.version >= 2 { try coder.int16(&errorCode) }
    }
}
