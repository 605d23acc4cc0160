/// ApiVersions (key 18) request, v0–4. Every connection starts with it.
public struct ApiVersionsRequest: KafkaMessage {
    public static let apiKey = APIKey.apiVersions

    /// v3+; informational, never validated (librdkafka retries with v0 on a strict refusal).
    public var clientSoftwareName = ""
    public var clientSoftwareVersion = ""

    public init() {}

    public init(clientSoftwareName: String, clientSoftwareVersion: String) {
        self.clientSoftwareName = clientSoftwareName
        self.clientSoftwareVersion = clientSoftwareVersion
    }

    public mutating func serialize<Coder: KafkaWireCoder>(_ coder: inout Coder) throws(Coder.Failure) {
        if coder.version >= 3 {
            try coder.string(&clientSoftwareName)
            try coder.string(&clientSoftwareVersion)
        }
    }
}
