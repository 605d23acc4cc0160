public import NIOCore

/// Fetch (key 1) response, v4–11. `records` is never null: librdkafka 2.0.2 rejects a null
/// record set, so an empty partition carries zero bytes.
public struct FetchResponse: KafkaMessage {
    public static let apiKey = APIKey.fetch

    public struct AbortedTransaction: KafkaWireStruct {
        public var producerId: Int64 = 0
        public var firstOffset: Int64 = 0

        public init() {}

        public mutating func serialize<Coder: KafkaWireCoder>(_ coder: inout Coder) throws(Coder.Failure) {
            try coder.int64(&producerId)
            try coder.int64(&firstOffset)
        }
    }

    public struct Partition: KafkaWireStruct {
        public var partitionIndex: Int32 = 0
        public var errorCode: Int16 = 0
        public var highWatermark: Int64 = -1
        public var lastStableOffset: Int64 = -1
        public var logStartOffset: Int64 = -1
        public var abortedTransactions: [AbortedTransaction]? = []
        public var preferredReadReplica: Int32 = -1
        public var records: ByteBuffer? = ByteBuffer()

        public init() {}

        public init(
            partitionIndex: Int32, errorCode: KafkaErrorCode, highWatermark: Int64 = -1,
            logStartOffset: Int64 = -1, records: ByteBuffer = ByteBuffer()
        ) {
            self.partitionIndex = partitionIndex
            self.errorCode = errorCode.rawValue
            self.highWatermark = highWatermark
            self.lastStableOffset = highWatermark
            self.logStartOffset = logStartOffset
            self.records = records
        }

        public mutating func serialize<Coder: KafkaWireCoder>(_ coder: inout Coder) throws(Coder.Failure) {
            try coder.int32(&partitionIndex)
            try coder.int16(&errorCode)
            try coder.int64(&highWatermark)
            try coder.int64(&lastStableOffset)
            if coder.version >= 5 { try coder.int64(&logStartOffset) }
            try coder.nullableArray(&abortedTransactions)
            if coder.version >= 11 { try coder.int32(&preferredReadReplica) }
            try coder.nullableBytes(&records)
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

    public var throttleTimeMs: Int32 = 0
    public var errorCode: Int16 = 0
    public var sessionId: Int32 = 0
    public var topics: [Topic] = []

    public init() {}

    public init(topics: [Topic]) { self.topics = topics }

    public mutating func serialize<Coder: KafkaWireCoder>(_ coder: inout Coder) throws(Coder.Failure) {
        try coder.int32(&throttleTimeMs)
        if coder.version >= 7 {
            try coder.int16(&errorCode)
            try coder.int32(&sessionId)
        }
        try coder.array(&topics)
    }
}
