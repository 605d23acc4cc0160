import ArgumentParser
import ChatClient
import Foundation
import Projections

/// `chat client send`: sends one message over the WebSocket, waits until the server has it
/// stored and sequenced, and prints `sent CONV SEQ MSG_ID`.
struct SendCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "send",
        abstract: "Send one message and print `sent CONV SEQ MSG_ID` once it is stored."
    )

    @OptionGroup var client: ClientOptions

    @Option(help: "The recipient: a username or a user id.")
    var to: String?

    @Option(help: "The conversation: a group id, or a direct conversation id.")
    var conv: String?

    @Option(help: "A file to upload and attach, or the id of uploaded media (repeatable).")
    var media: [String] = []

    @Option(help: "The client message id (default: a new one). Sending again with the same id stores nothing twice.")
    var id: String?

    @Option(help: "Seconds to wait for the server to confirm.")
    var timeout = 30.0

    @Argument(help: "The message text.")
    var text: [String] = []

    func validate() throws {
        guard (to == nil) != (conv == nil) else { throw ValidationError("give exactly one of --to and --conv") }
        guard !text.isEmpty || !media.isEmpty else { throw ValidationError("give a text, --media, or both") }
        guard timeout > 0 else { throw ValidationError("--timeout must be positive") }
    }

    func run() async throws {
        try await ClientFailure.reporting {
            var session = try client.session()
            var attachments: [String] = []
            for item in media { attachments.append(try await attachment(item, session)) }
            var frame: [String: Any] = ["type": "send", "id": id ?? UUID().uuidString.lowercased(), "to": try target(session.profile)]
            if !text.isEmpty { frame["body"] = text.joined(separator: " ") }
            if !attachments.isEmpty { frame["media"] = attachments }
            let sent = try await MessageSender(frame: frame, deadline: .now + .milliseconds(Int64(timeout * 1000))).send(&session)
            Console.line("sent \(sent["conv"]?.string ?? "?") \(sent["seq"]?.int.map(String.init) ?? "?") \(sent["msg_id"]?.string ?? "?")")
        }
    }

    /// `--to` names a user; `--conv` a group, or a direct conversation, which is sent to as
    /// its other member (the protocol addresses direct messages to users).
    private func target(_ profile: Profile) throws(ClientFailure) -> [String: String] {
        if let to { return ["user": to] }
        guard let conv else { return [:] }
        guard let (first, second) = Identifiers.directMembers(conv) else { return ["group": conv] }
        guard first == profile.userId || second == profile.userId else {
            throw ClientFailure("forbidden", "\(profile.username) is not a member of \(conv)")
        }
        return ["user": first == profile.userId ? second : first]
    }

    /// A file is uploaded first; anything else must already be a media id.
    private func attachment(_ item: String, _ session: ServerSession) async throws(ClientFailure) -> String {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: item, isDirectory: &isDirectory), !isDirectory.boolValue {
            return try await MediaUpload.upload(item, contentType: nil, session: session)["media_id"]?.string ?? ""
        }
        guard Identifiers.isMediaId(item) else {
            throw ClientFailure("no_such_file", "--media \(item) is neither a file nor a media id")
        }
        return item
    }
}
