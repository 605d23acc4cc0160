import ArgumentParser
import Foundation

/// Options of every `chat client` subcommand: which server, and which saved session.
struct ClientOptions: ParsableArguments {
    @Option(
        name: .customLong("server"),
        help: ArgumentHelp("The server's URL (default: CHAT_SERVER, else the profile's server, else http://127.0.0.1:8080).", valueName: "url")
    )
    var explicitServer: String?

    @Option(
        name: .customLong("profile"),
        help: ArgumentHelp("The file holding the session (default: CHAT_PROFILE, else ~/.config/chat/profile.json).", valueName: "path")
    )
    var explicitProfile: String?

    static let defaultServer = "http://127.0.0.1:8080"

    var profilePath: String {
        explicitProfile ?? Environment.value("CHAT_PROFILE")
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".config/chat/profile.json").path
    }

    /// The server to talk to: asked for on the command line or in the environment, else the
    /// one the profile was saved against, so that a logged-in user need not repeat it.
    func server(profile: Profile?) -> String {
        explicitServer ?? Environment.value("CHAT_SERVER") ?? profile?.server ?? Self.defaultServer
    }

    /// The server's API for `register` and `login`, which may run without a profile.
    func api() throws(ClientFailure) -> ServerAPI {
        try ServerAPI(url: server(profile: (try? Profile.load(from: profilePath)) ?? nil))
    }

    /// The saved session, required by every subcommand but `register` and `login`.
    func session() throws(ClientFailure) -> ServerSession {
        guard let profile = try Profile.load(from: profilePath) else {
            throw ClientFailure("not_logged_in", "no profile at \(profilePath); run `chat client register` or `chat client login` first")
        }
        let server = server(profile: profile)
        // The WebSocket node belongs to the deployment the profile was saved against.
        let node = Credentials.sameServer(server, profile.server) ? profile.node : nil
        return try ServerSession(server: server, node: node, profile: profile, profilePath: profilePath)
    }
}
