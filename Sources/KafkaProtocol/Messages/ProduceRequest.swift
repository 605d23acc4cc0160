public import NIOCore

/// Produce (key 0) request, v0–7. Each partition carries one record batch, kept as a slice
/// of the request frame so the broker can store it without copying or decoding it.
public struct ProduceRequest: KafkaMessage {
    public static let apiKey = APIKey.produce

    public struct Partition: KafkaWireStruct {
        public var index: Int32 = 0
        public var records: ByteBuffer?

        public init() {}

        public init(index: Int32, records: ByteBuffer?) {
            self.index = index
            self.records = records
        }

        public mutating func serialize<Coder: KafkaWireCoder>(_ coder: inout Coder) throws(Coder.Failure) {
            try coder.int32(&index)
            try coder.nullableBytes(&records)
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

    /// v3+; transactions are not supported, so anything but nil is refused.
    public var transactionalId: String?
    /// 0 (no response at all), 1 (after the append), or -1 (after the append is durable).
    public var acks: Int16 = -1
    public var timeoutMs: Int32 = 30_000
    public var topics: [Topic] = []

    public init() {}

    public init(acks: Int16, timeoutMs: Int32 = 30_000, topics: [Topic]) {
        self.acks = acks
        self.timeoutMs = timeoutMs
        self.topics = topics
    }

    public mutating func serialize<Coder: KafkaWireCoder>(_ coder: inout Coder) throws(Coder.Failure) {
        if coder.version >= 3 { try coder.nullableString(&transactionalId) }
        try coder.int16(&acks)
        try coder.int32(&timeoutMs)
        try coder.array(&topics)
    }
}
