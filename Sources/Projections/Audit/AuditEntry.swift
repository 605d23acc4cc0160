import Foundation
import JSON

/// One action of the log as `chat audit` prints it: where it is, who did what, and what the
/// conversation fold decided about it (the same decision the processor made when it ran).
public struct AuditEntry: Sendable, Equatable {
    public var position: String
    public var ts: Int64
    public var type: String
    public var actor: String
    public var conversation: String?
    /// What was asked, in words.
    public var action: String
    /// What came of it, in words (empty for actions that decide nothing).
    public var outcome: String
    /// The event's body as stored (JSON).
    public var body: Data

    /// One human-readable line.
    public var line: String {
        let time = Date(timeIntervalSince1970: Double(ts) / 1000).formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true))
        return "\(time)  \(position)  \(action)" + (outcome.isEmpty ? "" : "  → \(outcome)")
    }

    /// One JSON object, for `--json` (keys sorted so lines diff cleanly).
    public var json: String {
        var object: [String: Any] = [
            "position": position, "ts": ts, "type": type, "actor": actor, "action": action, "outcome": outcome,
            "event": (try? JSONSerialization.jsonObject(with: body)) ?? NSNull(),
        ]
        if let conversation { object["conv"] = conversation }
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }
}

/// Turns records of the log into audit entries: pure, so an audit never depends on a store.
public enum AuditTrail {
    /// A conversation event with the fold's decisions about it.
    public static func entry(_ record: EventRecord, _ event: ConversationEvent, _ decisions: [ConversationDecision]) -> AuditEntry {
        let (actor, action): (String, String) = switch event {
        case .groupCreated(let created):
            (created.creator, "\(created.creator) created group \(quoted(created.name)) with \(created.members.joined(separator: ", "))")
        case .memberAdded(let added): (added.by, "\(added.by) added \(added.user)")
        case .memberRemoved(let removed):
            (removed.by, removed.by == removed.user ? "\(removed.user) left" : "\(removed.by) removed \(removed.user)")
        case .messageSent(let sent):
            (sent.from, "\(sent.from)/\(sent.device) sent \(describe(sent.body, sent.media)) (client id \(sent.clientId))")
        case .delivered(let delivered): (delivered.user, "\(delivered.user) received up to seq \(delivered.upTo)")
        case .read(let read): (read.user, "\(read.user) read up to seq \(read.upTo)")
        }
        return AuditEntry(
            position: record.position, ts: event.ts, type: record.type, actor: actor, conversation: event.conversation,
            action: action, outcome: decisions.compactMap(outcome).joined(separator: "; "), body: record.value
        )
    }

    /// An account or media event (they belong to no conversation).
    public static func entry(_ record: EventRecord) -> AuditEntry? {
        if let registered = try? EventCoding.decode(UserRegistered.self, from: record) {
            return AuditEntry(
                position: record.position, ts: registered.ts, type: record.type, actor: registered.userId, conversation: nil,
                action: "\(registered.userId) registered as \(quoted(registered.username))", outcome: "",
                body: publicFields(of: registered)
            )
        }
        if let upload = try? EventCoding.decode(MediaUploaded.self, from: record) {
            return AuditEntry(
                position: record.position, ts: upload.ts, type: record.type, actor: upload.uploader, conversation: nil,
                action: "\(upload.uploader) uploaded \(upload.mediaId) (\(upload.contentType), \(upload.size) bytes)", outcome: "",
                body: record.value
            )
        }
        return nil
    }

    /// Whether `user` did it or was the object of it.
    public static func involves(_ event: ConversationEvent, user: String) -> Bool {
        switch event {
        case .groupCreated(let created): created.creator == user || created.members.contains(user)
        case .memberAdded(let added): added.by == user || added.user == user
        case .memberRemoved(let removed): removed.by == user || removed.user == user
        case .messageSent(let sent): sent.from == user || sent.peer == user
        case .delivered(let delivered): delivered.user == user
        case .read(let read): read.user == user
        }
    }

    private static func outcome(_ decision: ConversationDecision) -> String? {
        switch decision {
        case .groupCreated(let members): "group of \(members.count)"
        case .memberAdded(let user, _): "\(user) is a member"
        case .memberRemoved(let user, _): "\(user) is no longer a member"
        case .messageAccepted(let message):
            "seq \(message.seq), \(message.msgId), to \(message.recipients.filter { $0 != message.from }.joined(separator: ", "))"
        case .messageRepeated(_, _, _, _, let seq, _): "a retry of seq \(seq): nothing new"
        case .cursorAdvanced(_, _, let status, let upTo, _, let notify):
            "\(status.rawValue) cursor at \(upTo)" + (notify.isEmpty ? "" : ", receipt to \(notify.joined(separator: ", "))")
        case .rejected(let rejection): "rejected, \(rejection.code.rawValue): \(rejection.message)"
        case .unchanged: nil
        }
    }

    private static func describe(_ body: String?, _ media: [String]?) -> String {
        var parts = body.map { [quoted($0)] } ?? []
        if let media, !media.isEmpty { parts.append("[\(media.count) media: \(media.joined(separator: ", "))]") }
        return parts.joined(separator: " ")
    }

    private static func quoted(_ text: String) -> String {
        var json = JSONWriter()
        json.string(text)
        return json.text
    }

    /// A registration without its password hash, which stays out of an audit trail.
    private static func publicFields(of registered: UserRegistered) -> Data {
        var json = JSONWriter()
        json.beginObject()
        json.field("user_id", registered.userId)
        json.field("username", registered.username)
        json.endObject()
        return json.data
    }
}
