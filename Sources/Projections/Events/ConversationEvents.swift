import JSON

/// `chat.conversations`, keyed by conversation id: everything that happens in a conversation,
/// in order. These events are requests; the conversation fold decides what they do.

public struct GroupCreated: ChatEvent {
    public static let type = "GroupCreated"
    public static let version = 1

    public var groupId: String
    public var name: String
    public var creator: String
    public var members: [String]
    public var ts: Int64

    public init(groupId: String, name: String, creator: String, members: [String], ts: Int64) {
        self.groupId = groupId
        self.name = name
        self.creator = creator
        self.members = members
        self.ts = ts
    }
}

extension GroupCreated {
    public init(json: inout JSONReader) throws(JSONError) {
        var groupId: String?
        var name: String?
        var creator: String?
        var members: [String]?
        var ts: Int64?
        try json.beginObject()
        while let key = try json.nextKey() {
            switch key {
            case "creator": creator = try json.readString()
            case "group_id": groupId = try json.readString()
            case "members": members = try json.readStrings()
            case "name": name = try json.readString()
            case "ts": ts = try json.readInt()
            default: try json.skipValue()
            }
        }
        try self.init(
            groupId: groupId.required("group_id"),
            name: name.required("name"),
            creator: creator.required("creator"),
            members: members.required("members"),
            ts: ts.required("ts")
        )
    }

    public func write(to json: inout JSONWriter) {
        json.beginObject()
        json.field("creator", creator)
        json.field("group_id", groupId)
        json.field("members", members)
        json.field("name", name)
        json.field("ts", ts)
        json.endObject()
    }
}

/// A member added to or removed from a group, and by whom: both events have these fields.
public protocol MembershipChange: ChatEvent {
    var conv: String { get }
    var user: String { get }
    var by: String { get }
    var ts: Int64 { get }
    init(conv: String, user: String, by: String, ts: Int64)
}

extension MembershipChange {
    public init(json: inout JSONReader) throws(JSONError) {
        var conv: String?
        var user: String?
        var by: String?
        var ts: Int64?
        try json.beginObject()
        while let key = try json.nextKey() {
            switch key {
            case "by": by = try json.readString()
            case "conv": conv = try json.readString()
            case "ts": ts = try json.readInt()
            case "user": user = try json.readString()
            default: try json.skipValue()
            }
        }
        try self.init(
            conv: conv.required("conv"), user: user.required("user"), by: by.required("by"), ts: ts.required("ts")
        )
    }

    public func write(to json: inout JSONWriter) {
        json.beginObject()
        json.field("by", by)
        json.field("conv", conv)
        json.field("ts", ts)
        json.field("user", user)
        json.endObject()
    }
}

public struct MemberAdded: MembershipChange {
    public static let type = "MemberAdded"
    public static let version = 1

    public var conv: String
    public var user: String
    public var by: String
    public var ts: Int64

    public init(conv: String, user: String, by: String, ts: Int64) {
        self.conv = conv
        self.user = user
        self.by = by
        self.ts = ts
    }
}

public struct MemberRemoved: MembershipChange {
    public static let type = "MemberRemoved"
    public static let version = 1

    public var conv: String
    public var user: String
    public var by: String
    public var ts: Int64

    public init(conv: String, user: String, by: String, ts: Int64) {
        self.conv = conv
        self.user = user
        self.by = by
        self.ts = ts
    }
}

public struct MessageSent: ChatEvent {
    public static let type = "MessageSent"
    public static let version = 1

    public var conv: String
    public var from: String
    public var device: String
    /// The sender's id for the message, unique per sender; a repeat is a retry.
    public var clientId: String
    /// The other user of a direct conversation (nil for a group).
    public var peer: String?
    public var body: String?
    public var media: [String]?
    public var ts: Int64

    public init(
        conv: String, from: String, device: String, clientId: String, peer: String?, body: String?, media: [String]?,
        ts: Int64
    ) {
        self.conv = conv
        self.from = from
        self.device = device
        self.clientId = clientId
        self.peer = peer
        self.body = body
        self.media = media
        self.ts = ts
    }
}

extension MessageSent {
    public init(json: inout JSONReader) throws(JSONError) {
        var conv: String?
        var from: String?
        var device: String?
        var clientId: String?
        var peer: String?
        var body: String?
        var media: [String]?
        var ts: Int64?
        try json.beginObject()
        while let key = try json.nextKey() {
            switch key {
            case "body": body = try json.readOptionalString()
            case "client_id": clientId = try json.readString()
            case "conv": conv = try json.readString()
            case "device": device = try json.readString()
            case "from": from = try json.readString()
            case "media": media = try json.readStrings()
            case "peer": peer = try json.readOptionalString()
            case "ts": ts = try json.readInt()
            default: try json.skipValue()
            }
        }
        try self.init(
            conv: conv.required("conv"),
            from: from.required("from"),
            device: device.required("device"),
            clientId: clientId.required("client_id"),
            peer: peer,
            body: body,
            media: media,
            ts: ts.required("ts")
        )
    }

    public func write(to json: inout JSONWriter) {
        json.beginObject()
        json.field("body", body)
        json.field("client_id", clientId)
        json.field("conv", conv)
        json.field("device", device)
        json.field("from", from)
        json.field("media", media)
        json.field("peer", peer)
        json.field("ts", ts)
        json.endObject()
    }
}

/// A member's delivered or read cursor in a conversation moved to `upTo`: both markers have
/// these fields.
public protocol CursorMarker: ChatEvent {
    var conv: String { get }
    var user: String { get }
    var upTo: Int64 { get }
    var ts: Int64 { get }
    init(conv: String, user: String, upTo: Int64, ts: Int64)
}

extension CursorMarker {
    public init(json: inout JSONReader) throws(JSONError) {
        var conv: String?
        var user: String?
        var upTo: Int64?
        var ts: Int64?
        try json.beginObject()
        while let key = try json.nextKey() {
            switch key {
            case "conv": conv = try json.readString()
            case "ts": ts = try json.readInt()
            case "up_to": upTo = try json.readInt()
            case "user": user = try json.readString()
            default: try json.skipValue()
            }
        }
        try self.init(
            conv: conv.required("conv"), user: user.required("user"), upTo: upTo.required("up_to"), ts: ts.required("ts")
        )
    }

    public func write(to json: inout JSONWriter) {
        json.beginObject()
        json.field("conv", conv)
        json.field("ts", ts)
        json.field("up_to", upTo)
        json.field("user", user)
        json.endObject()
    }
}

/// A member's devices acknowledged every message of `conv` up to `upTo`.
public struct MessagesDelivered: CursorMarker {
    public static let type = "MessagesDelivered"
    public static let version = 1

    public var conv: String
    public var user: String
    public var upTo: Int64
    public var ts: Int64

    public init(conv: String, user: String, upTo: Int64, ts: Int64) {
        self.conv = conv
        self.user = user
        self.upTo = upTo
        self.ts = ts
    }
}

/// A member read `conv` up to `upTo`.
public struct MessagesRead: CursorMarker {
    public static let type = "MessagesRead"
    public static let version = 1

    public var conv: String
    public var user: String
    public var upTo: Int64
    public var ts: Int64

    public init(conv: String, user: String, upTo: Int64, ts: Int64) {
        self.conv = conv
        self.user = user
        self.upTo = upTo
        self.ts = ts
    }
}

/// The events of `chat.conversations`.
public enum ConversationEvent: Sendable, Equatable {
    case groupCreated(GroupCreated)
    case memberAdded(MemberAdded)
    case memberRemoved(MemberRemoved)
    case messageSent(MessageSent)
    case delivered(MessagesDelivered)
    case read(MessagesRead)

    public init(_ record: EventRecord) throws {
        switch record.type {
        case GroupCreated.type: self = .groupCreated(try EventCoding.decode(GroupCreated.self, from: record))
        case MemberAdded.type: self = .memberAdded(try EventCoding.decode(MemberAdded.self, from: record))
        case MemberRemoved.type: self = .memberRemoved(try EventCoding.decode(MemberRemoved.self, from: record))
        case MessageSent.type: self = .messageSent(try EventCoding.decode(MessageSent.self, from: record))
        case MessagesDelivered.type: self = .delivered(try EventCoding.decode(MessagesDelivered.self, from: record))
        case MessagesRead.type: self = .read(try EventCoding.decode(MessagesRead.self, from: record))
        default: throw EventDecodingError.unknownType(record.type)
        }
    }

    public var conversation: String {
        switch self {
        case .groupCreated(let event): event.groupId
        case .memberAdded(let event): event.conv
        case .memberRemoved(let event): event.conv
        case .messageSent(let event): event.conv
        case .delivered(let event): event.conv
        case .read(let event): event.conv
        }
    }

    /// When the gateway appended it.
    public var ts: Int64 {
        switch self {
        case .groupCreated(let event): event.ts
        case .memberAdded(let event): event.ts
        case .memberRemoved(let event): event.ts
        case .messageSent(let event): event.ts
        case .delivered(let event): event.ts
        case .read(let event): event.ts
        }
    }
}
