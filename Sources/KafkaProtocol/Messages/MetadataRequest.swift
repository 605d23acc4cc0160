/// Metadata (key 3) request, v0–6.
public struct MetadataRequest: KafkaMessage {
    public static let apiKey = APIKey.metadata

    public struct Topic: KafkaWireStruct {
        public var name = ""
        public init() {}
        public init(name: String) { self.name = name }
        public mutating func serialize<Coder: KafkaWireCoder>(_ coder: inout Coder) throws(Coder.Failure) {
            try coder.string(&name)
        }
    }

    /// The topics to describe. v1+: nil means every topic and empty means none; v0 cannot say
    /// null, so there an empty array means every topic.
    public var topics: [Topic]? = []
    /// v4+: whether absent topics may be created (the broker still needs auto-creation on).
    public var allowAutoTopicCreation = true

    public init() {}

    public init(topics: [String]?, allowAutoTopicCreation: Bool = true) {
        self.topics = topics?.map(Topic.init(name:))
        self.allowAutoTopicCreation = allowAutoTopicCreation
    }

    /// The requested topic names, or nil for all topics, with v0's convention applied.
    public func requestedTopics(version: Int16) -> [String]? {
        guard let topics else { return nil }
        if version == 0 && topics.isEmpty { return nil }
        return topics.map(\.name)
    }

    public mutating func serialize<Coder: KafkaWireCoder>(_ coder: inout Coder) throws(Coder.Failure) {
        if coder.version >= 1 {
            try coder.nullableArray(&topics)
        } else {
            var all = topics ?? []
            try coder.array(&all)
            topics = all
        }
        if coder.version >= 4 { try coder.bool(&allowAutoTopicCreation) }
    }
}
