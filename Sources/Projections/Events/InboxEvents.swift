import JSON

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

extension MessageDelivery {
    public init(json: inout JSONReader) throws(JSONError) {
        var id: String?
        var msgId: String?
        var conv: String?
        var seq: Int64?
        var from: String?
        var groupId: String?
        var body: String?
        var media: [String]?
        var ts: Int64?
        var originDevice: String?
        var ref: String?
        try json.beginObject()
        while let key = try json.nextKey() {
            switch key {
            case "body": body = try json.readOptionalString()
            case "conv": conv = try json.readString()
            case "from": from = try json.readString()
            case "group_id": groupId = try json.readOptionalString()
            case "id": id = try json.readString()
            case "media": media = try json.readStrings()
            case "msg_id": msgId = try json.readString()
            case "origin_device": originDevice = try json.readOptionalString()
            case "ref": ref = try json.readOptionalString()
            case "seq": seq = try json.readInt()
            case "ts": ts = try json.readInt()
            default: try json.skipValue()
            }
        }
        try self.init(
            id: id.required("id"),
            msgId: msgId.required("msg_id"),
            conv: conv.required("conv"),
            seq: seq.required("seq"),
            from: from.required("from"),
            groupId: groupId,
            body: body,
            media: media,
            ts: ts.required("ts"),
            originDevice: originDevice,
            ref: ref
        )
    }

    public func write(to json: inout JSONWriter) {
        json.beginObject()
        json.field("body", body)
        json.field("conv", conv)
        json.field("from", from)
        json.field("group_id", groupId)
        json.field("id", id)
        json.field("media", media)
        json.field("msg_id", msgId)
        json.field("origin_device", originDevice)
        json.field("ref", ref)
        json.field("seq", seq)
        json.field("ts", ts)
        json.endObject()
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

extension SendRepeated {
    public init(json: inout JSONReader) throws(JSONError) {
        var id: String?
        var device: String?
        var ref: String?
        var msgId: String?
        var conv: String?
        var seq: Int64?
        var ts: Int64?
        try json.beginObject()
        while let key = try json.nextKey() {
            switch key {
            case "conv": conv = try json.readString()
            case "device": device = try json.readString()
            case "id": id = try json.readString()
            case "msg_id": msgId = try json.readString()
            case "ref": ref = try json.readString()
            case "seq": seq = try json.readInt()
            case "ts": ts = try json.readInt()
            default: try json.skipValue()
            }
        }
        try self.init(
            id: id.required("id"),
            device: device.required("device"),
            ref: ref.required("ref"),
            msgId: msgId.required("msg_id"),
            conv: conv.required("conv"),
            seq: seq.required("seq"),
            ts: ts.required("ts")
        )
    }

    public func write(to json: inout JSONWriter) {
        json.beginObject()
        json.field("conv", conv)
        json.field("device", device)
        json.field("id", id)
        json.field("msg_id", msgId)
        json.field("ref", ref)
        json.field("seq", seq)
        json.field("ts", ts)
        json.endObject()
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

extension SendRejected {
    public init(json: inout JSONReader) throws(JSONError) {
        var id: String?
        var device: String?
        var ref: String?
        var code: String?
        var message: String?
        try json.beginObject()
        while let key = try json.nextKey() {
            switch key {
            case "code": code = try json.readString()
            case "device": device = try json.readString()
            case "id": id = try json.readString()
            case "message": message = try json.readString()
            case "ref": ref = try json.readString()
            default: try json.skipValue()
            }
        }
        try self.init(
            id: id.required("id"),
            device: device.required("device"),
            ref: ref.required("ref"),
            code: code.required("code"),
            message: message.required("message")
        )
    }

    public func write(to json: inout JSONWriter) {
        json.beginObject()
        json.field("code", code)
        json.field("device", device)
        json.field("id", id)
        json.field("message", message)
        json.field("ref", ref)
        json.endObject()
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

extension ReceiptDelivery {
    public init(json: inout JSONReader) throws(JSONError) {
        var id: String?
        var conv: String?
        var by: String?
        var status: String?
        var upTo: Int64?
        var ts: Int64?
        try json.beginObject()
        while let key = try json.nextKey() {
            switch key {
            case "by": by = try json.readString()
            case "conv": conv = try json.readString()
            case "id": id = try json.readString()
            case "status": status = try json.readString()
            case "ts": ts = try json.readInt()
            case "up_to": upTo = try json.readInt()
            default: try json.skipValue()
            }
        }
        try self.init(
            id: id.required("id"),
            conv: conv.required("conv"),
            by: by.required("by"),
            status: status.required("status"),
            upTo: upTo.required("up_to"),
            ts: ts.required("ts")
        )
    }

    public func write(to json: inout JSONWriter) {
        json.beginObject()
        json.field("by", by)
        json.field("conv", conv)
        json.field("id", id)
        json.field("status", status)
        json.field("ts", ts)
        json.field("up_to", upTo)
        json.endObject()
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
