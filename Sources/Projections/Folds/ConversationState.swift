/// Everything the conversation fold needs to decide about the next event of one conversation.
public struct ConversationState: Sendable, Equatable {
    public enum Kind: String, Sendable {
        case direct
        case group
    }

    public enum Role: String, Sendable {
        case admin
        case member
    }

    /// The first and last `seq` a member sent, to know whom a receipt concerns.
    public struct SentRange: Sendable, Equatable {
        public var first: Int64
        public var last: Int64
    }

    /// A message remembered for client-id deduplication.
    public struct RecentSend: Sendable, Equatable {
        public var clientId: String
        public var seq: Int64
        public var ts: Int64
    }

    /// One sender's latest client ids, looked up in constant time; the oldest is forgotten
    /// when the window is full.
    public struct ClientIdWindow: Sendable, Equatable {
        private var byClientId: [String: RecentSend] = [:]
        /// Client ids with their seq, oldest first, from `head` on (the prefix before it is
        /// forgotten).
        private var order: [(clientId: String, seq: Int64)] = []
        private var head = 0

        public init() {}

        public init(_ sends: [RecentSend]) {
            for send in sends { remember(send) }
        }

        public var count: Int { order.count - head }

        public func send(withClientId clientId: String) -> RecentSend? { byClientId[clientId] }

        /// The oldest client id still remembered.
        public var oldest: String? { head < order.count ? order[head].clientId : nil }

        public mutating func remember(_ send: RecentSend, limit: Int = ConversationState.clientIdWindow) {
            if let previous = byClientId[send.clientId], previous.seq >= send.seq { return }
            byClientId[send.clientId] = send
            order.append((send.clientId, send.seq))
            while count > limit {
                let oldest = order[head]
                head += 1
                // A client id remembered again later keeps its newer entry.
                if byClientId[oldest.clientId]?.seq == oldest.seq { byClientId[oldest.clientId] = nil }
            }
            if head > limit {
                order.removeFirst(head)
                head = 0
            }
        }

        public static func == (lhs: ClientIdWindow, rhs: ClientIdWindow) -> Bool {
            lhs.byClientId == rhs.byClientId
        }
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
    /// Not part of the stored form (see ConversationState+JSON): a store keeps these as rows
    /// beside its history and hands them back when it loads a state.
    public var recentSends: [String: ClientIdWindow] = [:]
    public var createdAt: Int64

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
