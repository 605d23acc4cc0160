/// Heartbeat (key 12) request, v0–3.
public struct HeartbeatRequest: KafkaMessage {
    public static let apiKey = APIKey.heartbeat

    public var groupId = ""
    public var generationId: Int32 = -1
    public var memberId = ""
    public var groupInstanceId: String?

    public init() {}

    public init(groupId: String, generationId: Int32, memberId: String) {
        self.groupId = groupId
        self.generationId = generationId
        self.memberId = memberId
    }

    public mutating func serialize<Coder: KafkaWireCoder>(_ coder: inout Coder) throws(Coder.Failure) {
        try coder.string(&groupId)
        try coder.int32(&generationId)
        try coder.string(&memberId)
        if coder.version >= 3 { try coder.nullableString(&groupInstanceId) }
    }
}
