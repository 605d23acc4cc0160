/// LeaveGroup (key 13) request, v0–1.
public struct LeaveGroupRequest: KafkaMessage {
    public static let apiKey = APIKey.leaveGroup

    public var groupId = ""
    public var memberId = ""

    public init() {}

    public init(groupId: String, memberId: String) {
        self.groupId = groupId
        self.memberId = memberId
    }

    public mutating func serialize<Coder: KafkaWireCoder>(_ coder: inout Coder) throws(Coder.Failure) {
        try coder.string(&groupId)
        try coder.string(&memberId)
    }
}
