/// DeleteTopics (key 20) request, v0–3.
public struct DeleteTopicsRequest: KafkaMessage {
    public static let apiKey = APIKey.deleteTopics

    public var topicNames: [String] = []
    public var timeoutMs: Int32 = 30_000

    public init() {}

    public init(topicNames: [String], timeoutMs: Int32 = 30_000) {
        self.topicNames = topicNames
        self.timeoutMs = timeoutMs
    }

    public mutating func serialize<Coder: KafkaWireCoder>(_ coder: inout Coder) throws(Coder.Failure) {
        try coder.stringArray(&topicNames)
        try coder.int32(&timeoutMs)
    }
}
