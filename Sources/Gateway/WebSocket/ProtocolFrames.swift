import ChatClient
import Foundation
import JSON
import Projections

/// A frame from a device, as the client protocol defines it. Decoding checks the shape of
/// each type and says what is wrong, so a client author gets a useful `error` frame.
enum ClientFrame: Sendable {
    enum Target: Sendable, Equatable {
        case user(String)
        case group(String)
    }

    case send(id: String, to: Target, body: String?, media: [String])
    case ack(upTo: Int64)
    case read(conv: String, upTo: Int64)
    case typing(conv: String)
    case ping

    struct Invalid: Error {
        var code: String
        var message: String
        var ref: String?
    }

    static func decode(_ text: String) throws(Invalid) -> ClientFrame {
        guard let frame = try? JSONValue(parsing: text), case .object = frame else {
            throw Invalid(code: "malformed", message: "a frame must be one JSON object")
        }
        let ref = frame["id"]?.string
        func fail(_ message: String) -> Invalid { Invalid(code: "invalid_request", message: message, ref: ref) }
        guard let type = frame["type"]?.string else { throw fail("the frame has no \"type\"") }
        switch type {
        case "send":
            guard let id = ref, !id.isEmpty, id.utf8.count <= 128 else {
                throw fail("send needs an \"id\" of 1-128 characters (the client message id)")
            }
            guard let to = frame["to"] else { throw fail("send needs \"to\": {\"user\": …} or {\"group\": …}") }
            let target: Target
            if let user = to["user"]?.string, to["group"] == nil {
                target = .user(user)
            } else if let group = to["group"]?.string, to["user"] == nil {
                target = .group(group)
            } else {
                throw fail("\"to\" must name exactly one of \"user\" or \"group\"")
            }
            let body = frame["body"]?.string
            if frame["body"] != nil && body == nil && frame["body"] != .null { throw fail("\"body\" must be a string") }
            var media: [String] = []
            if let list = frame["media"], list != .null {
                guard let ids = list.array?.compactMap(\.string), ids.count == list.array?.count else {
                    throw fail("\"media\" must be a list of media ids")
                }
                media = ids
            }
            guard body?.isEmpty == false || !media.isEmpty else { throw fail("send needs a \"body\" or \"media\"") }
            return .send(id: id, to: target, body: body, media: media)
        case "ack":
            guard let upTo = frame["up_to"]?.int else { throw fail("ack needs \"up_to\", a dseq") }
            return .ack(upTo: upTo)
        case "read":
            guard let conv = frame["conv"]?.string, let upTo = frame["up_to"]?.int else {
                throw fail("read needs \"conv\" and \"up_to\" (a seq)")
            }
            return .read(conv: conv, upTo: upTo)
        case "typing":
            guard let conv = frame["conv"]?.string else { throw fail("typing needs \"conv\"") }
            return .typing(conv: conv)
        case "ping":
            return .ping
        default:
            throw Invalid(code: "unknown_type", message: "unknown frame type \"\(type)\"", ref: ref)
        }
    }
}

/// A frame to a device. Optional fields that are nil are left out.
struct ServerFrame: Sendable {
    var type: String
    var ref: String?
    var dseq: Int64?
    var msgId: String?
    var conv: String?
    var seq: Int64?
    var from: String?
    var groupId: String?
    var body: String?
    var media: [String]?
    var ts: Int64?
    var by: String?
    var status: String?
    var upTo: Int64?
    var user: String?
    var online: Bool?
    var lastSeen: Int64?
    var code: String?
    var message: String?
    var node: String?

    init(type: String) { self.type = type }

    static let pong = ServerFrame(type: "pong")

    /// This node stopped serving the user (the gateways rebalanced).
    static let reconnect = ServerFrame.error(code: "reconnect", message: "this node no longer serves you; connect again")

    static func error(code: String, message: String, ref: String? = nil) -> ServerFrame {
        var frame = ServerFrame(type: "error")
        frame.code = code
        frame.message = message
        frame.ref = ref
        return frame
    }

    /// What a stored delivery looks like to one device of its user, or nil if it is not for
    /// that device (another device's `sent` or error).
    static func rendering(_ delivery: StoredDelivery, for device: String) -> ServerFrame? {
        switch delivery.event {
        case .message(let message):
            var frame = ServerFrame(type: message.originDevice == device ? "sent" : "message")
            if message.originDevice == device {
                frame.ref = message.ref
            } else {
                frame.from = message.from
                frame.groupId = message.groupId
                frame.body = message.body
                frame.media = message.media
            }
            frame.stamp(dseq: delivery.dseq, msgId: message.msgId, conv: message.conv, seq: message.seq, ts: message.ts)
            return frame
        case .repeated(let repeated):
            guard repeated.device == device else { return nil }
            var frame = ServerFrame(type: "sent")
            frame.ref = repeated.ref
            frame.stamp(dseq: delivery.dseq, msgId: repeated.msgId, conv: repeated.conv, seq: repeated.seq, ts: repeated.ts)
            return frame
        case .rejected(let rejected):
            guard rejected.device == device else { return nil }
            var frame = ServerFrame.error(code: rejected.code, message: rejected.message, ref: rejected.ref)
            frame.dseq = delivery.dseq
            return frame
        case .receipt(let receipt):
            var frame = ServerFrame(type: "receipt")
            frame.dseq = delivery.dseq
            frame.conv = receipt.conv
            frame.by = receipt.by
            frame.status = receipt.status
            frame.upTo = receipt.upTo
            frame.ts = receipt.ts
            return frame
        }
    }

    /// The fields every `message` and `sent` carries.
    private mutating func stamp(dseq: Int64, msgId: String, conv: String, seq: Int64, ts: Int64) {
        (self.dseq, self.msgId, self.conv, self.seq, self.ts) = (dseq, msgId, conv, seq, ts)
    }

    /// The frame's text: keys in sorted order, nil fields left out.
    func json() -> String {
        var json = JSONWriter(capacity: 128 + (body?.utf8.count ?? 0))
        json.beginObject()
        json.field("body", body)
        json.field("by", by)
        json.field("code", code)
        json.field("conv", conv)
        json.field("dseq", dseq)
        json.field("from", from)
        json.field("group_id", groupId)
        json.field("last_seen", lastSeen)
        json.field("media", media)
        json.field("message", message)
        json.field("msg_id", msgId)
        json.field("node", node)
        json.field("online", online)
        json.field("ref", ref)
        json.field("seq", seq)
        json.field("status", status)
        json.field("ts", ts)
        json.field("type", type)
        json.field("up_to", upTo)
        json.field("user", user)
        json.endObject()
        return json.text
    }
}
