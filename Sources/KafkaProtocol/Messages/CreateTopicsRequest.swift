/// CreateTopics (key 19) request, v0–4.
public struct CreateTopicsRequest: KafkaMessage {
    public static let apiKey = APIKey.createTopics

    public struct Assignment: KafkaWireStruct {
        public var partitionIndex: Int32 = 0
        public var brokerIds: [Int32] = []

        public init() {}

        public mutating func serialize<Coder: KafkaWireCoder>(_ coder: inout Coder) throws(Coder.Failure) {
            try coder.int32(&partitionIndex)
            try coder.int32Array(&brokerIds)
        }
    }

    public struct Config: KafkaWireStruct {
        public var name = ""
        public var value: String?

        public init() {}

        public init(name: String, value: String?) {
            self.name = name
            self.value = value
        }

        public mutating func serialize<Coder: KafkaWireCoder>(_ coder: inout Coder) throws(Coder.Failure) {
            try coder.string(&name)
            try coder.nullableString(&value)
        }
    }

    public struct Topic: KafkaWireStruct {
        public var name = ""
        /// -1 (v4+) means the broker's default.
        public var numPartitions: Int32 = -1
        /// Only 1 or -1 make sense on a single node.
        public var replicationFactor: Int16 = -1
        public var assignments: [Assignment] = []
        public var configs: [Config] = []

        public init() {}

        public init(name: String, numPartitions: Int32, replicationFactor: Int16 = 1, configs: [Config] = []) {
            self.name = name
            self.numPartitions = numPartitions
            self.replicationFactor = replicationFactor
            self.configs = configs
        }

        public mutating func serialize<Coder: KafkaWireCoder>(_ coder: inout Coder) throws(Coder.Failure) {
            try coder.string(&name)
            try coder.int32(&numPartitions)
            try coder.int16(&replicationFactor)
            try coder.array(&assignments)
            try coder.array(&configs)
        }
    }

    public var topics: [Topic] = []
    public var timeoutMs: Int32 = 30_000
    public var validateOnly = false

    public init() {}

    public init(topics: [Topic], timeoutMs: Int32 = 30_000, validateOnly: Bool = false) {
        self.topics = topics
        self.timeoutMs = timeoutMs
        self.validateOnly = validateOnly
    }

    public mutating func serialize<Coder: KafkaWireCoder>(_ coder: inout Coder) throws(Coder.Failure) {
        try coder.array(&topics)
        try coder.int32(&timeoutMs)
        if coder.version >= 1 { try coder.bool(&validateOnly) }
    }
}
