/// Metadata (key 3) response, v0–6. Capped below v7 so no leader epoch ever reaches a client.
public struct MetadataResponse: KafkaMessage {
    public static let apiKey = APIKey.metadata

    public struct Broker: KafkaWireStruct {
        public var nodeId: Int32 = 0
        public var host = ""
        public var port: Int32 = 0
        public var rack: String?

        public init() {}

        public init(nodeId: Int32, host: String, port: Int32) {
            self.nodeId = nodeId
            self.host = host
            self.port = port
        }

        public mutating func serialize<Coder: KafkaWireCoder>(_ coder: inout Coder) throws(Coder.Failure) {
            try coder.int32(&nodeId)
            try coder.string(&host)
            try coder.int32(&port)
            if coder.version >= 1 { try coder.nullableString(&rack) }
        }
    }

    public struct Partition: KafkaWireStruct {
        public var errorCode: Int16 = 0
        public var partitionIndex: Int32 = 0
        public var leaderId: Int32 = 0
        public var replicaNodes: [Int32] = []
        public var isrNodes: [Int32] = []
        public var offlineReplicas: [Int32] = []

        public init() {}

        /// A healthy partition led by `leader`, its only replica.
        public init(partitionIndex: Int32, leader: Int32) {
            self.partitionIndex = partitionIndex
            self.leaderId = leader
            self.replicaNodes = [leader]
            self.isrNodes = [leader]
        }

        public mutating func serialize<Coder: KafkaWireCoder>(_ coder: inout Coder) throws(Coder.Failure) {
            try coder.int16(&errorCode)
            try coder.int32(&partitionIndex)
            try coder.int32(&leaderId)
            try coder.int32Array(&replicaNodes)
            try coder.int32Array(&isrNodes)
            if coder.version >= 5 { try coder.int32Array(&offlineReplicas) }
        }
    }

    public struct Topic: KafkaWireStruct {
        public var errorCode: Int16 = 0
        public var name = ""
        public var isInternal = false
        public var partitions: [Partition] = []

        public init() {}

        public init(errorCode: KafkaErrorCode = .none, name: String, partitions: [Partition] = []) {
            self.errorCode = errorCode.rawValue
            self.name = name
            self.partitions = partitions
        }

        public mutating func serialize<Coder: KafkaWireCoder>(_ coder: inout Coder) throws(Coder.Failure) {
            try coder.int16(&errorCode)
            try coder.string(&name)
            if coder.version >= 1 { try coder.bool(&isInternal) }
            try coder.array(&partitions)
        }
    }

    public var throttleTimeMs: Int32 = 0
    public var brokers: [Broker] = []
    public var clusterId: String?
    public var controllerId: Int32 = -1
    public var topics: [Topic] = []

    public init() {}

    public init(brokers: [Broker], clusterId: String?, controllerId: Int32, topics: [Topic]) {
        self.brokers = brokers
        self.clusterId = clusterId
        self.controllerId = controllerId
        self.topics = topics
    }

    public mutating func serialize<Coder: KafkaWireCoder>(_ coder: inout Coder) throws(Coder.Failure) {
        if coder.version >= 3 { try coder.int32(&throttleTimeMs) }
        try coder.array(&brokers)
        if coder.version >= 2 { try coder.nullableString(&clusterId) }
        if coder.version >= 1 { try coder.int32(&controllerId) }
        try coder.array(&topics)
    }
}
