public import NIOCore

/// JoinGroup (key 11) response, v0–5. Only the leader's response lists the members.
public struct JoinGroupResponse: KafkaMessage {
    public static let apiKey = APIKey.joinGroup

    public struct Member: KafkaWireStruct {
        public var memberId = ""
        public var groupInstanceId: String?
        public var metadata = ByteBuffer()

        public init() {}

        public init(memberId: String, groupInstanceId: String? = nil, metadata: ByteBuffer) {
            self.memberId = memberId
            self.groupInstanceId = groupInstanceId
            self.metadata = metadata
        }

        public mutating func serialize<Coder: KafkaWireCoder>(_ coder: inout Coder) throws(Coder.Failure) {
            try coder.string(&memberId)
            if coder.version >= 5 { try coder.nullableString(&groupInstanceId) }
            try coder.bytes(&metadata)
        }
    }

    public var throttleTimeMs: Int32 = 0
    public var errorCode: Int16 = 0
    public var generationId: Int32 = -1
    /// Never null: librdkafka treats a null protocol name as a malformed response.
    public var protocolName = ""
    public var leader = ""
    public var memberId = ""
    public var members: [Member] = []

    public init() {}

    public init(
        errorCode: KafkaErrorCode, generationId: Int32 = -1, protocolName: String = "",
        leader: String = "", memberId: String = "", members: [Member] = []
    ) {
        self.errorCode = errorCode.rawValue
        self.generationId = generationId
        self.protocolName = protocolName
        self.leader = leader
        self.memberId = memberId
        self.members = members
    }

    public mutating func serialize<Coder: KafkaWireCoder>(_ coder: inout Coder) throws(Coder.Failure) {
        if coder.version >= 2 { try coder.int32(&throttleTimeMs) }
        try coder.int16(&errorCode)
        try coder.int32(&generationId)
        try coder.string(&protocolName)
        try coder.string(&leader)
        try coder.string(&memberId)
        try coder.array(&members)
    }
}
