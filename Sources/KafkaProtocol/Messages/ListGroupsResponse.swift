/// ListGroups (key 16) response, v0–2.
public struct ListGroupsResponse: KafkaMessage {
    public static let apiKey = APIKey.listGroups

    public struct Group: KafkaWireStruct {
        public var groupId = ""
        public var protocolType = ""

        public init() {}

        public init(groupId: String, protocolType: String) {
            self.groupId = groupId
            self.protocolType = protocolType
        }

        public mutating func serialize<Coder: KafkaWireCoder>(_ coder: inout Coder) throws(Coder.Failure) {
            try coder.string(&groupId)
            try coder.string(&protocolType)
        }
    }

    public var throttleTimeMs: Int32 = 0
    public var errorCode: Int16 = 0
    public var groups: [Group] = []

    public init() {}

    public init(groups: [Group]) { self.groups = groups }

    public mutating func serialize<Coder: KafkaWireCoder>(_ coder: inout Coder) throws(Coder.Failure) {
        if coder.version >= 1 { try coder.int32(&throttleTimeMs) }
        try coder.int16(&errorCode)
        try coder.array(&groups)
    }
}
