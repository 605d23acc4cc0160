public import NIOCore

/// JoinGroup (key 11) request, v0–5.
public struct JoinGroupRequest: KafkaMessage {
    public static let apiKey = APIKey.joinGroup

    public struct `Protocol`: KafkaWireStruct {
        public var name = ""
        /// Opaque to the broker (the consumer protocol's subscription); never parsed.
        public var metadata = ByteBuffer()

        public init() {}

        public init(name: String, metadata: ByteBuffer) {
            self.name = name
            self.metadata = metadata
        }

        public mutating func serialize<Coder: KafkaWireCoder>(_ coder: inout Coder) throws(Coder.Failure) {
            try coder.string(&name)
            try coder.bytes(&metadata)
        }
    }

    public var groupId = ""
    public var sessionTimeoutMs: Int32 = 45_000
    /// v1+; v0 uses the session timeout.
    public var rebalanceTimeoutMs: Int32 = -1
    public var memberId = ""
    /// v5+; static membership is not implemented, such members are treated as dynamic.
    public var groupInstanceId: String?
    public var protocolType = ""
    public var protocols: [`Protocol`] = []

    public init() {}

    public init(
        groupId: String, sessionTimeoutMs: Int32, rebalanceTimeoutMs: Int32, memberId: String,
        protocolType: String, protocols: [`Protocol`]
    ) {
        self.groupId = groupId
        self.sessionTimeoutMs = sessionTimeoutMs
        self.rebalanceTimeoutMs = rebalanceTimeoutMs
        self.memberId = memberId
        self.protocolType = protocolType
        self.protocols = protocols
    }

    public mutating func serialize<Coder: KafkaWireCoder>(_ coder: inout Coder) throws(Coder.Failure) {
        try coder.string(&groupId)
        try coder.int32(&sessionTimeoutMs)
        if coder.version >= 1 { try coder.int32(&rebalanceTimeoutMs) }
        try coder.string(&memberId)
        if coder.version >= 5 { try coder.nullableString(&groupInstanceId) }
        try coder.string(&protocolType)
        try coder.array(&protocols)
    }
}
