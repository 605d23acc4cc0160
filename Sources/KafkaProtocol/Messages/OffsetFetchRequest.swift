/// OffsetFetch (key 9) request, v1–5.
public struct OffsetFetchRequest: KafkaMessage {
    public static let apiKey = APIKey.offsetFetch

    public struct Topic: KafkaWireStruct {
        public var name = ""
        public var partitionIndexes: [Int32] = []

        public init() {}

        public init(name: String, partitionIndexes: [Int32]) {
            self.name = name
            self.partitionIndexes = partitionIndexes
        }

        public mutating func serialize<Coder: KafkaWireCoder>(_ coder: inout Coder) throws(Coder.Failure) {
            try coder.string(&name)
            try coder.int32Array(&partitionIndexes)
        }
    }

    public var groupId = ""
    /// nil (v2+) asks for every partition the group has committed.
    public var topics: [Topic]? = []

    public init() {}

    public init(groupId: String, topics: [Topic]?) {
        self.groupId = groupId
        self.topics = topics
    }

    public mutating func serialize<Coder: KafkaWireCoder>(_ coder: inout Coder) throws(Coder.Failure) {
        try coder.string(&groupId)
        if coder.version >= 2 {
            try coder.nullableArray(&topics)
        } else {
            var listed = topics ?? []
            try coder.array(&listed)
            topics = listed
        }
    }
}
