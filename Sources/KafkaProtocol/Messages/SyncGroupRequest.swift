public import NIOCore

/// SyncGroup (key 14) request, v0–3. Only the leader fills in assignments.
public struct SyncGroupRequest: KafkaMessage {
    public static let apiKey = APIKey.syncGroup

    public struct Assignment: KafkaWireStruct {
        public var memberId = ""
        public var assignment = ByteBuffer()

        public init() {}

        public init(memberId: String, assignment: ByteBuffer) {
            self.memberId = memberId
            self.assignment = assignment
        }

        public mutating func serialize<Coder: KafkaWireCoder>(_ coder: inout Coder) throws(Coder.Failure) {
            try coder.string(&memberId)
            try coder.bytes(&assignment)
        }
    }

    public var groupId = ""
    public var generationId: Int32 = -1
    public var memberId = ""
    public var groupInstanceId: String?
    public var assignments: [Assignment] = []

    public init() {}

    public init(groupId: String, generationId: Int32, memberId: String, assignments: [Assignment] = []) {
        self.groupId = groupId
        self.generationId = generationId
        self.memberId = memberId
        self.assignments = assignments
    }

    public mutating func serialize<Coder: KafkaWireCoder>(_ coder: inout Coder) throws(Coder.Failure) {
        try coder.string(&groupId)
        try coder.int32(&generationId)
        try coder.string(&memberId)
        if coder.version >= 3 { try coder.nullableString(&groupInstanceId) }
        try coder.array(&assignments)
    }
}
