import ChatClient
import Foundation

/// How `listen` and `history` show the protocol's frames to a person, one line each:
///
///     [2026-11-23 10:04:05] bob → d-u1-u2 #3: hello
///     ✓✓ bob read d-u1-u2 up to 3
///
/// Senders appear by username, looked up once per user; conversation ids stay as they are,
/// since `send --conv` and `history --conv` take them.
struct FrameText {
    /// A line for stdout, or one for stderr (errors).
    enum Line: Equatable {
        case out(String)
        case error(String)
    }

    let session: ServerSession
    private var names: [String: String]

    init(session: ServerSession) {
        self.session = session
        names = [session.profile.userId: session.profile.username]
    }

    /// The line for `frame`, or nil for frames a person need not see (`pong`).
    mutating func line(for frame: JSONValue) async -> Line? {
        switch frame["type"]?.string {
        case "message":
            return .out(await message(frame))
        case "sent":
            return .out("✓ sent \(frame["conv"]?.string ?? "?") #\(number(frame["seq"])) \(frame["msg_id"]?.string ?? "")")
        case "receipt":
            let status = frame["status"]?.string == "read" ? "read" : "received"
            let by = await name(frame["by"]?.string)
            return .out("✓✓ \(by) \(status) \(frame["conv"]?.string ?? "?") up to \(number(frame["up_to"]))")
        case "presence":
            let user = await name(frame["user"]?.string)
            if frame["online"]?.bool == true { return .out("● \(user) is online") }
            let seen = frame["last_seen"]?.int.map { ", last seen \(Self.time($0))" } ?? ""
            return .out("○ \(user) is offline\(seen)")
        case "typing":
            return .out("… \(await name(frame["from"]?.string)) is typing in \(frame["conv"]?.string ?? "?")")
        case "error":
            let ref = frame["ref"]?.string.map { " (message \($0))" } ?? ""
            return .error("error: \(frame["code"]?.string ?? "error"): \(frame["message"]?.string ?? "")\(ref)")
        case "pong":
            return nil
        default:
            return .out(frame.description)
        }
    }

    /// `[time] sender → conv #seq: body [media: id…]`, for deliveries and history alike.
    mutating func message(_ frame: JSONValue) async -> String {
        let from = await name(frame["from"]?.string)
        var text = "[\(frame["ts"]?.int.map(Self.time) ?? "?")] \(from) → \(frame["conv"]?.string ?? "?") #\(number(frame["seq"]))"
        if let body = frame["body"]?.string { text += ": \(body)" }
        if let media = frame["media"]?.array?.compactMap(\.string), !media.isEmpty {
            text += " [media: \(media.joined(separator: ", "))]"
        }
        return text
    }

    /// The username of user id `id`; the id itself if the server cannot say.
    private mutating func name(_ id: String?) async -> String {
        guard let id else { return "?" }
        if let known = names[id] { return known }
        let username = (try? await session.call("GET", "/v1/users/\(Self.pathSegment(id))"))?["username"]?.string
        names[id] = username ?? id
        return username ?? id
    }

    private func number(_ value: JSONValue?) -> String { value?.int.map(String.init) ?? "?" }

    /// Epoch milliseconds as local `yyyy-MM-dd HH:mm:ss`.
    static func time(_ milliseconds: Int64) -> String {
        let date = Date(timeIntervalSince1970: Double(milliseconds) / 1000)
        let parts = Calendar.current.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        return String(
            format: "%04d-%02d-%02d %02d:%02d:%02d", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0, parts.hour ?? 0,
            parts.minute ?? 0, parts.second ?? 0
        )
    }

    static func pathSegment(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/?#"))) ?? text
    }
}
