/// DescribeConfigs (key 32) request, v0–2.
public struct DescribeConfigsRequest: KafkaMessage {
    public static let apiKey = APIKey.describeConfigs

    public struct Resource: KafkaWireStruct {
        /// 2 topic, 4 broker.
        public var resourceType: Int8 = 2
        public var resourceName = ""
        /// nil asks for every config.
        public var configurationKeys: [String]?

        public init() {}

        public init(resourceType: Int8, resourceName: String, configurationKeys: [String]? = nil) {
            self.resourceType = resourceType
            self.resourceName = resourceName
            self.configurationKeys = configurationKeys
        }

        public mutating func serialize<Coder: KafkaWireCoder>(_ coder: inout Coder) throws(Coder.Failure) {
            try coder.int8(&resourceType)
            try coder.string(&resourceName)
            try coder.nullableStringArray(&configurationKeys)
        }
    }

    public var resources: [Resource] = []
    public var includeSynonyms = false

    public init() {}

    public init(resources: [Resource]) { self.resources = resources }

    public mutating func serialize<Coder: KafkaWireCoder>(_ coder: inout Coder) throws(Coder.Failure) {
        try coder.array(&resources)
        if coder.version >= 1 { try coder.bool(&includeSynonyms) }
    }
}
