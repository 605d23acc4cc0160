import ChatClient
import Foundation

/// A logged-in device's way to the server: authenticated HTTP calls, and WebSocket sessions
/// on the gateway that serves the user.
struct ServerSession {
    var api: ServerAPI
    /// Where the WebSocket goes: the node named at login, else the server itself.
    var node: String?
    var profile: Profile
    let profilePath: String

    init(server: String, node: String?, profile: Profile, profilePath: String) throws(ClientFailure) {
        api = try ServerAPI(url: server)
        self.node = node
        self.profile = profile
        self.profilePath = profilePath
    }

    func call(_ method: String, _ path: String, _ body: [String: Any]? = nil) async throws(ClientFailure) -> JSONValue {
        do {
            return try await api.call(method, path, body, token: profile.token)
        } catch let failure where failure.code == "unauthorized" {
            throw Self.loginAgain(failure)
        }
    }

    func upload(file: String, contentType: String) async throws(ClientFailure) -> JSONValue {
        do {
            return try await api.upload("/v1/media", file: file, contentType: contentType, token: profile.token)
        } catch let failure where failure.code == "unauthorized" {
            throw Self.loginAgain(failure)
        }
    }

    /// Opens the device's WebSocket. A session the server refuses still opens, and its first
    /// frame says why (see `SessionRefusal`).
    func openSocket() async throws(ClientFailure) -> ChatSocket {
        let url = node ?? api.url
        guard let address = HTTPClient(url: url) else { throw ClientFailure("invalid_server", "cannot connect to '\(url)'") }
        do {
            return try await ChatSocket.connect(host: address.host, port: address.port, token: profile.token)
        } catch let refused as ChatSocket.Refused {
            throw ClientFailure(status: refused.status, body: Data(refused.body.utf8), request: "the WebSocket upgrade")
        } catch {
            throw .unreachable(url, error)
        }
    }

    /// The server said another gateway serves this user: use it from now on, and remember it.
    mutating func move(to node: String) throws(ClientFailure) {
        guard HTTPClient(url: node) != nil else { throw ClientFailure("wrong_node", "the server named an unusable node '\(node)'") }
        self.node = node
        if Credentials.sameServer(profile.server, api.url) {
            profile.node = Credentials.sameServer(node, api.url) ? nil : node
            try profile.save(to: profilePath)
        }
    }

    static func loginAgain(_ failure: ClientFailure) -> ClientFailure {
        ClientFailure(failure.code, "\(failure.message) (the session expired or is not valid here; run `chat client login`)")
    }
}
