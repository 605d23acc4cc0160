/// `chat.presence` (compacted), keyed by user, in the user's partition: whether the user is
/// online, and when it was last seen. The latest record per user is the truth.
public struct PresenceChanged: ChatEvent {
    public static let type = "PresenceChanged"
    public static let version = 1

    public var user: String
    public var online: Bool
    /// When the user was last online (now, while online).
    public var lastSeen: Int64
    public var ts: Int64

    public init(user: String, online: Bool, lastSeen: Int64, ts: Int64) {
        self.user = user
        self.online = online
        self.lastSeen = lastSeen
        self.ts = ts
    }
}

/// `chat.ephemeral`, keyed by conversation: a member is typing. Relayed live to the other
/// members that are online, never stored in any read model and never replayed (readers start
/// at the end of the topic, which keeps one minute).
public struct TypingNotice: ChatEvent {
    public static let type = "TypingNotice"
    public static let version = 1

    public var conv: String
    public var from: String
    public var ts: Int64

    public init(conv: String, from: String, ts: Int64) {
        self.conv = conv
        self.from = from
        self.ts = ts
    }
}
