/// `chat.inbox`, keyed by the recipient: what each user is owed. Every record is derived by
/// the conversation processor from one conversation event; `id` names that origin, so a
/// record written twice (a processor that crashed before committing) is recognised.

/// A message for a member (the sender included: its sending device turns its copy into `sent`).
public struct MessageDelivery: ChatEvent {
    public static let type = "MessageDelivery"
    public static let version = 1

    public var id: String
    public var msgId: String
    public var conv: String
    public var seq: Int64
    public var from: String
    public var groupId: String?
    public var body: String?
    public var media: [String]?
    public var ts: Int64
    /// On the sender's copy: the device that sent it and its client id.
    public var originDevice: String?
    public var ref: String?

    public init(
        id: String, msgId: String, conv: String, seq: Int64, from: String, groupId: String?, body: String?,
        media: [String]?, ts: Int64, originDevice: String?, ref: String?
    ) {
        self.id = id
        self.msgId = msgId
        self.conv = conv
        self.seq = seq
        self.from = from
        self.groupId = groupId
        self.body = body
        self.media = media
        self.ts = ts
        self.originDevice = originDevice
        self.ref = ref
    }
}

/// A repeated `send` (same client id): the device gets the original `sent` again.
public struct SendRepeated: ChatEvent {
    public static let type = "SendRepeated"
    public static let version = 1

    public var id: String
    public var device: String
    public var ref: String
    public var msgId: String
    public var conv: String
    public var seq: Int64
    public var ts: Int64

    public init(id: String, device: String, ref: String, msgId: String, conv: String, seq: Int64, ts: Int64) {
        self.id = id
        self.device = device
        self.ref = ref
        self.msgId = msgId
        self.conv = conv
        self.seq = seq
        self.ts = ts
    }
}

/// A refused `send`, for the device that sent it.
public struct SendRejected: ChatEvent {
    public static let type = "SendRejected"
    public static let version = 1

    public var id: String
    public var device: String
    public var ref: String
    public var code: String
    public var message: String

    public init(id: String, device: String, ref: String, code: String, message: String) {
        self.id = id
        self.device = device
        self.ref = ref
        self.code = code
        self.message = message
    }
}

/// A member's delivered or read cursor advanced, for a member whose messages it covers.
public struct ReceiptDelivery: ChatEvent {
    public static let type = "ReceiptDelivery"
    public static let version = 1

    public var id: String
    public var conv: String
    public var by: String
    /// `delivered` or `read`.
    public var status: String
    public var upTo: Int64
    public var ts: Int64

    public init(id: String, conv: String, by: String, status: String, upTo: Int64, ts: Int64) {
        self.id = id
        self.conv = conv
        self.by = by
        self.status = status
        self.upTo = upTo
        self.ts = ts
    }
}

/// The events of `chat.inbox`.
public enum InboxEvent: Sendable, Equatable {
    case message(MessageDelivery)
    case repeated(SendRepeated)
    case rejected(SendRejected)
    case receipt(ReceiptDelivery)

    public init(_ record: EventRecord) throws {
        switch record.type {
        case MessageDelivery.type: self = .message(try EventCoding.decode(MessageDelivery.self, from: record))
        case SendRepeated.type: self = .repeated(try EventCoding.decode(SendRepeated.self, from: record))
        case SendRejected.type: self = .rejected(try EventCoding.decode(SendRejected.self, from: record))
        case ReceiptDelivery.type: self = .receipt(try EventCoding.decode(ReceiptDelivery.self, from: record))
        default: throw EventDecodingError.unknownType(record.type)
        }
    }

    /// The origin id that makes the record unique.
    public var id: String {
        switch self {
        case .message(let event): event.id
        case .repeated(let event): event.id
        case .rejected(let event): event.id
        case .receipt(let event): event.id
        }
    }
}
