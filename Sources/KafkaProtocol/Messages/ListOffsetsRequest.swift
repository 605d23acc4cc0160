/// ListOffsets (key 2) request, v1–5.
public struct ListOffsetsRequest: KafkaMessage {
    public static let apiKey = APIKey.listOffsets

    /// The timestamp that asks for the log end offset.
    public static let latest: Int64 = -1
    /// The timestamp that asks for the log start offset.
    public static let earliest: Int64 = -2

    public struct Partition: KafkaWireStruct {
        public var partitionIndex: Int32 = 0
        public var currentLeaderEpoch: Int32 = -1
        /// -1 latest, -2 earliest, otherwise the first offset whose timestamp is at least this.
        public var timestamp: Int64 = -1

        public init() {}

        public init(partitionIndex: Int32, timestamp: Int64) {
            self.partitionIndex = partitionIndex
            self.timestamp = timestamp
        }

        public mutating func serialize<Coder: KafkaWireCoder>(_ coder: inout Coder) throws(Coder.Failure) {
            try coder.int32(&partitionIndex)
            if coder.version >= 4 { try coder.int32(&currentLeaderEpoch) }
            try coder.int64(&timestamp)
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

    public var replicaId: Int32 = -1
    public var isolationLevel: Int8 = 0
    public var topics: [Topic] = []

    public init() {}

    public init(topics: [Topic]) { self.topics = topics }

    public mutating func serialize<Coder: KafkaWireCoder>(_ coder: inout Coder) throws(Coder.Failure) {
        try coder.int32(&replicaId)
        if coder.version >= 2 { try coder.int8(&isolationLevel) }
        try coder.array(&topics)
    }
}
