/// Everything the conversation fold needs to decide about the next event of one conversation.
public struct ConversationState: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable {
        case direct
        case group
    }

    public enum Role: String, Codable, Sendable {
        case admin
        case member
    }

    /// The first and last `seq` a member sent, to know whom a receipt concerns.
    public struct SentRange: Codable, Sendable, Equatable {
        public var first: Int64
        public var last: Int64
    }

    /// A message remembered for client-id deduplication.
    public struct RecentSend: Codable, Sendable, Equatable {
        public var clientId: String
        public var seq: Int64
        public var ts: Int64
    }

    /// How many client ids per sender are remembered: a retry of anything older appends a new
    /// message. Retries follow a lost `sent` within seconds, so this is ample.
    public static let clientIdWindow = 1000

    public var id: String
    public var kind: Kind
    public var name: String?
    public var members: [String: Role]
    public var lastSeq: Int64 = 0
    public var lastMessageTs: Int64 = 0
    public var delivered: [String: Int64] = [:]
    public var read: [String: Int64] = [:]
    public var sent: [String: SentRange] = [:]
    /// Not part of the stored form (see `CodingKeys`): a store keeps these as rows beside
    /// its history and hands them back when it loads a state.
    public var recentSends: [String: [RecentSend]] = [:]
    public var createdAt: Int64

    private enum CodingKeys: String, CodingKey {
        case id, kind, name, members, lastSeq, lastMessageTs, delivered, read, sent, createdAt
    }

    public init(id: String, kind: Kind, name: String?, members: [String: Role], createdAt: Int64) {
        self.id = id
        self.kind = kind
        self.name = name
        self.members = members
        self.createdAt = createdAt
    }

    public var memberList: [String] { members.keys.sorted() }

    public func isMember(_ user: String) -> Bool { members[user] != nil }

    public func isAdmin(_ user: String) -> Bool { members[user] == .admin }
}
