/// DescribeConfigs (key 32) response, v0–2.
public struct DescribeConfigsResponse: KafkaMessage {
    public static let apiKey = APIKey.describeConfigs

    /// Where a config value comes from (`DescribeConfigsResponse.ConfigSource`).
    public enum Source: Int8, Sendable {
        case topicConfig = 1
        case staticBrokerConfig = 4
        case defaultConfig = 5
    }

    public struct Synonym: KafkaWireStruct {
        public var name = ""
        public var value: String?
        public var source: Int8 = 0

        public init() {}

        public mutating func serialize<Coder: KafkaWireCoder>(_ coder: inout Coder) throws(Coder.Failure) {
            try coder.string(&name)
            try coder.nullableString(&value)
            try coder.int8(&source)
        }
    }

    public struct Config: KafkaWireStruct {
        public var name = ""
        public var value: String?
        public var readOnly = false
        /// v0 only.
        public var isDefault = false
        /// v1+.
        public var configSource: Int8 = -1
        public var isSensitive = false
        public var synonyms: [Synonym] = []

        public init() {}

        public init(name: String, value: String?, source: Source, readOnly: Bool = false) {
            self.name = name
            self.value = value
            self.readOnly = readOnly
            self.isDefault = source == .defaultConfig
            self.configSource = source.rawValue
        }

        public mutating func serialize<Coder: KafkaWireCoder>(_ coder: inout Coder) throws(Coder.Failure) {
            try coder.string(&name)
            try coder.nullableString(&value)
            try coder.bool(&readOnly)
            if coder.version == 0 { try coder.bool(&isDefault) }
            if coder.version >= 1 { try coder.int8(&configSource) }
            try coder.bool(&isSensitive)
            if coder.version >= 1 { try coder.array(&synonyms) }
        }
    }

    public struct Result: KafkaWireStruct {
        public var errorCode: Int16 = 0
        public var errorMessage: String?
        public var resourceType: Int8 = 2
        public var resourceName = ""
        public var configs: [Config] = []

        public init() {}

        public init(
            errorCode: KafkaErrorCode, errorMessage: String? = nil, resourceType: Int8, resourceName: String,
            configs: [Config]
        ) {
            self.errorCode = errorCode.rawValue
            self.errorMessage = errorMessage
            self.resourceType = resourceType
            self.resourceName = resourceName
            self.configs = configs
        }

        public mutating func serialize<Coder: KafkaWireCoder>(_ coder: inout Coder) throws(Coder.Failure) {
            try coder.int16(&errorCode)
            try coder.nullableString(&errorMessage)
            try coder.int8(&resourceType)
            try coder.string(&resourceName)
            try coder.array(&configs)
        }
    }

    public var throttleTimeMs: Int32 = 0
    public var results: [Result] = []

    public init() {}

    public init(results: [Result]) { self.results = results }

    public mutating func serialize<Coder: KafkaWireCoder>(_ coder: inout Coder) throws(Coder.Failure) {
        try coder.int32(&throttleTimeMs)
        try coder.array(&results)
    }
}
