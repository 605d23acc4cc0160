import JSON

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

extension PresenceChanged {
    public init(json: inout JSONReader) throws(JSONError) {
        var user: String?
        var online: Bool?
        var lastSeen: Int64?
        var ts: Int64?
        try json.beginObject()
        while let key = try json.nextKey() {
            switch key {
            case "last_seen": lastSeen = try json.readInt()
            case "online": online = try json.readBool()
            case "ts": ts = try json.readInt()
            case "user": user = try json.readString()
            default: try json.skipValue()
            }
        }
        try self.init(
            user: user.required("user"),
            online: online.required("online"),
            lastSeen: lastSeen.required("last_seen"),
            ts: ts.required("ts")
        )
    }

    public func write(to json: inout JSONWriter) {
        json.beginObject()
        json.field("last_seen", lastSeen)
        json.field("online", online)
        json.field("ts", ts)
        json.field("user", user)
        json.endObject()
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

extension TypingNotice {
    public init(json: inout JSONReader) throws(JSONError) {
        var conv: String?
        var from: String?
        var ts: Int64?
        try json.beginObject()
        while let key = try json.nextKey() {
            switch key {
            case "conv": conv = try json.readString()
            case "from": from = try json.readString()
            case "ts": ts = try json.readInt()
            default: try json.skipValue()
            }
        }
        try self.init(
            conv: conv.required("conv"), from: from.required("from"), ts: ts.required("ts")
        )
    }

    public func write(to json: inout JSONWriter) {
        json.beginObject()
        json.field("conv", conv)
        json.field("from", from)
        json.field("ts", ts)
        json.endObject()
    }
}
