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

public struct MemberAdded: ChatEvent {
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

public struct MemberRemoved: ChatEvent {
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

/// A member's devices acknowledged every message of `conv` up to `upTo`.
public struct MessagesDelivered: ChatEvent {
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
public struct MessagesRead: ChatEvent {
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
