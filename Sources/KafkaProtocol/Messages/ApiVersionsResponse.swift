/// ApiVersions (key 18) response, v0–4. Its response header is always v0, and it never
/// carries tagged fields: librdkafka before 2.2 skips tags one byte short.
public struct ApiVersionsResponse: KafkaMessage {
    public static let apiKey = APIKey.apiVersions

    public struct Version: KafkaWireStruct {
        public var apiKey: Int16 = 0
        public var minVersion: Int16 = 0
        public var maxVersion: Int16 = 0

        public init() {}

        public init(apiKey: Int16, minVersion: Int16, maxVersion: Int16) {
            self.apiKey = apiKey
            self.minVersion = minVersion
            self.maxVersion = maxVersion
        }

        public mutating func serialize<Coder: KafkaWireCoder>(_ coder: inout Coder) throws(Coder.Failure) {
            try coder.int16(&apiKey)
            try coder.int16(&minVersion)
            try coder.int16(&maxVersion)
        }
    }

    public var errorCode: Int16 = 0
    public var apiKeys: [Version] = []
    public var throttleTimeMs: Int32 = 0

    public init() {}

    public init(errorCode: KafkaErrorCode, apiKeys: [Version]) {
        self.errorCode = errorCode.rawValue
        self.apiKeys = apiKeys
    }

    /// The broker's advertised table, sorted by key.
    public static var supported: ApiVersionsResponse {
        ApiVersionsResponse(
            errorCode: .none,
            apiKeys: APIKey.allCases.sorted { $0.rawValue < $1.rawValue }.map {
                Version(
                    apiKey: $0.rawValue,
                    minVersion: $0.supportedVersions.lowerBound,
                    maxVersion: $0.supportedVersions.upperBound
                )
            }
        )
    }

    public mutating func serialize<Coder: KafkaWireCoder>(_ coder: inout Coder) throws(Coder.Failure) {
        try coder.int16(&errorCode)
        try coder.array(&apiKeys)
        if coder.version >= 1 { try coder.int32(&throttleTimeMs) }
    }
}
