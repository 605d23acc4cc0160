public import NIOCore

/// DescribeGroups (key 15) response, v0–4.
public struct DescribeGroupsResponse: KafkaMessage {
    public static let apiKey = APIKey.describeGroups

    public struct Member: KafkaWireStruct {
        public var memberId = ""
        public var groupInstanceId: String?
        public var clientId = ""
        public var clientHost = ""
        public var memberMetadata = ByteBuffer()
        public var memberAssignment = ByteBuffer()

        public init() {}

        public init(memberId: String, clientId: String, clientHost: String, memberMetadata: ByteBuffer, memberAssignment: ByteBuffer) {
            self.memberId = memberId
            self.clientId = clientId
            self.clientHost = clientHost
            self.memberMetadata = memberMetadata
            self.memberAssignment = memberAssignment
        }

        public mutating func serialize<Coder: KafkaWireCoder>(_ coder: inout Coder) throws(Coder.Failure) {
            try coder.string(&memberId)
            if coder.version >= 4 { try coder.nullableString(&groupInstanceId) }
            try coder.string(&clientId)
            try coder.string(&clientHost)
            try coder.bytes(&memberMetadata)
            try coder.bytes(&memberAssignment)
        }
    }

    public struct Group: KafkaWireStruct {
        public var errorCode: Int16 = 0
        public var groupId = ""
        /// Empty, PreparingRebalance, CompletingRebalance, Stable or Dead.
        public var groupState = ""
        public var protocolType = ""
        /// The chosen protocol (assignor) name.
        public var protocolData = ""
        public var members: [Member] = []
        public var authorizedOperations: Int32 = Int32.min

        public init() {}

        public init(groupId: String, groupState: String, protocolType: String, protocolData: String, members: [Member]) {
            self.groupId = groupId
            self.groupState = groupState
            self.protocolType = protocolType
            self.protocolData = protocolData
            self.members = members
        }

        public mutating func serialize<Coder: KafkaWireCoder>(_ coder: inout Coder) throws(Coder.Failure) {
            try coder.int16(&errorCode)
            try coder.string(&groupId)
            try coder.string(&groupState)
            try coder.string(&protocolType)
            try coder.string(&protocolData)
            try coder.array(&members)
            if coder.version >= 3 { try coder.int32(&authorizedOperations) }
        }
    }

    public var throttleTimeMs: Int32 = 0
    public var groups: [Group] = []

    public init() {}

    public init(groups: [Group]) { self.groups = groups }

    public mutating func serialize<Coder: KafkaWireCoder>(_ coder: inout Coder) throws(Coder.Failure) {
        if coder.version >= 1 { try coder.int32(&throttleTimeMs) }
        try coder.array(&groups)
    }
}
