/// DeleteRecords (key 21) request, v0–1: moves log start offsets forward.
public struct DeleteRecordsRequest: KafkaMessage {
    public static let apiKey = APIKey.deleteRecords

    public struct Partition: KafkaWireStruct {
        public var partitionIndex: Int32 = 0
        /// The new log start offset; -1 means the high watermark.
        public var offset: Int64 = -1

        public init() {}

        public init(partitionIndex: Int32, offset: Int64) {
            self.partitionIndex = partitionIndex
            self.offset = offset
        }

        public mutating func serialize<Coder: KafkaWireCoder>(_ coder: inout Coder) throws(Coder.Failure) {
            try coder.int32(&partitionIndex)
            try coder.int64(&offset)
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
    public var timeoutMs: Int32 = 30_000

    public init() {}

    public init(topics: [Topic]) { self.topics = topics }

    public mutating func serialize<Coder: KafkaWireCoder>(_ coder: inout Coder) throws(Coder.Failure) {
        try coder.array(&topics)
        try coder.int32(&timeoutMs)
    }
}
