/// Fetch (key 1) request, v4–11.
public struct FetchRequest: KafkaMessage {
    public static let apiKey = APIKey.fetch

    public struct Partition: KafkaWireStruct {
        public var partition: Int32 = 0
        public var currentLeaderEpoch: Int32 = -1
        public var fetchOffset: Int64 = 0
        public var logStartOffset: Int64 = -1
        public var partitionMaxBytes: Int32 = 1_048_576

        public init() {}

        public init(partition: Int32, fetchOffset: Int64, partitionMaxBytes: Int32 = 1_048_576) {
            self.partition = partition
            self.fetchOffset = fetchOffset
            self.partitionMaxBytes = partitionMaxBytes
        }

        public mutating func serialize<Coder: KafkaWireCoder>(_ coder: inout Coder) throws(Coder.Failure) {
            try coder.int32(&partition)
            if coder.version >= 9 { try coder.int32(&currentLeaderEpoch) }
            try coder.int64(&fetchOffset)
            if coder.version >= 5 { try coder.int64(&logStartOffset) }
            try coder.int32(&partitionMaxBytes)
        }
    }

    public struct Topic: KafkaWireStruct {
        public var topic = ""
        public var partitions: [Partition] = []

        public init() {}

        public init(topic: String, partitions: [Partition]) {
            self.topic = topic
            self.partitions = partitions
        }

        public mutating func serialize<Coder: KafkaWireCoder>(_ coder: inout Coder) throws(Coder.Failure) {
            try coder.string(&topic)
            try coder.array(&partitions)
        }
    }

    public struct ForgottenTopic: KafkaWireStruct {
        public var topic = ""
        public var partitions: [Int32] = []

        public init() {}

        public mutating func serialize<Coder: KafkaWireCoder>(_ coder: inout Coder) throws(Coder.Failure) {
            try coder.string(&topic)
            try coder.int32Array(&partitions)
        }
    }

    public var replicaId: Int32 = -1
    public var maxWaitMs: Int32 = 500
    public var minBytes: Int32 = 1
    public var maxBytes: Int32 = 52_428_800
    /// 0 read_uncommitted, 1 read_committed; the same here, as there are no transactions.
    public var isolationLevel: Int8 = 0
    /// v7+; this broker opens no fetch sessions and always answers session 0.
    public var sessionId: Int32 = 0
    public var sessionEpoch: Int32 = -1
    public var topics: [Topic] = []
    public var forgottenTopicsData: [ForgottenTopic] = []
    public var rackId = ""

    public init() {}

    public init(maxWaitMs: Int32, minBytes: Int32, maxBytes: Int32, topics: [Topic]) {
        self.maxWaitMs = maxWaitMs
        self.minBytes = minBytes
        self.maxBytes = maxBytes
        self.topics = topics
    }

    public mutating func serialize<Coder: KafkaWireCoder>(_ coder: inout Coder) throws(Coder.Failure) {
        try coder.int32(&replicaId)
        try coder.int32(&maxWaitMs)
        try coder.int32(&minBytes)
        try coder.int32(&maxBytes)
        try coder.int8(&isolationLevel)
        if coder.version >= 7 {
            try coder.int32(&sessionId)
            try coder.int32(&sessionEpoch)
        }
        try coder.array(&topics)
        if coder.version >= 7 { try coder.array(&forgottenTopicsData) }
        if coder.version >= 11 { try coder.string(&rackId) }
    }
}
