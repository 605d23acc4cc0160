/// OffsetCommit (key 8) request, v2–7.
public struct OffsetCommitRequest: KafkaMessage {
    public static let apiKey = APIKey.offsetCommit

    public struct Partition: KafkaWireStruct {
        public var partitionIndex: Int32 = 0
        /// The next offset to consume.
        public var committedOffset: Int64 = 0
        public var committedLeaderEpoch: Int32 = -1
        public var committedMetadata: String?

        public init() {}

        public init(partitionIndex: Int32, committedOffset: Int64, committedMetadata: String? = nil) {
            self.partitionIndex = partitionIndex
            self.committedOffset = committedOffset
            self.committedMetadata = committedMetadata
        }

        public mutating func serialize<Coder: KafkaWireCoder>(_ coder: inout Coder) throws(Coder.Failure) {
            try coder.int32(&partitionIndex)
            try coder.int64(&committedOffset)
            if coder.version >= 6 { try coder.int32(&committedLeaderEpoch) }
            try coder.nullableString(&committedMetadata)
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

    public var groupId = ""
    public var generationId: Int32 = -1
    public var memberId = ""
    public var groupInstanceId: String?
    /// v2–4; -1 means the broker's default.
    public var retentionTimeMs: Int64 = -1
    public var topics: [Topic] = []

    public init() {}

    public init(groupId: String, generationId: Int32 = -1, memberId: String = "", topics: [Topic]) {
        self.groupId = groupId
        self.generationId = generationId
        self.memberId = memberId
        self.topics = topics
    }

    public mutating func serialize<Coder: KafkaWireCoder>(_ coder: inout Coder) throws(Coder.Failure) {
        try coder.string(&groupId)
        try coder.int32(&generationId)
        try coder.string(&memberId)
        if coder.version >= 7 { try coder.nullableString(&groupInstanceId) }
        if coder.version <= 4 { try coder.int64(&retentionTimeMs) }
        try coder.array(&topics)
    }
}
