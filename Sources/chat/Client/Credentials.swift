import ArgumentParser
import ChatClient
import Foundation

/// Username, password and device, as `register` and `login` take them, and the login that
/// turns them into a saved profile.
struct Credentials: ParsableArguments {
    @Option(help: "The username: 3-32 of a-z, 0-9, '_', '.', '-'.")
    var username: String

    @Option(help: "The password (default: CHAT_PASSWORD, else asked for without echo on a terminal, else one line of stdin).")
    var password: String?

    @Option(help: "This device's name; each device has its own delivery cursor.")
    var device = "cli"

    /// The password from the option, the environment, or the user.
    func resolvedPassword() throws(ClientFailure) -> String {
        if let password { return password }
        if let password = Environment.value("CHAT_PASSWORD") { return password }
        let line = isatty(STDIN_FILENO) == 1 ? Self.prompt("Password: ") : readLine(strippingNewline: true)
        guard let line, !line.isEmpty else {
            throw ClientFailure("password_required", "give the password with --password, CHAT_PASSWORD or on stdin")
        }
        return line
    }

    /// Reads a line from the terminal with echo off, restoring the terminal afterwards.
    private static func prompt(_ text: String) -> String? {
        FileHandle.standardError.write(Data(text.utf8))
        var original = termios()
        guard tcgetattr(STDIN_FILENO, &original) == 0 else { return readLine(strippingNewline: true) }
        var silent = original
        silent.c_lflag &= ~tcflag_t(ECHO)
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &silent)
        defer {
            tcsetattr(STDIN_FILENO, TCSAFLUSH, &original)
            FileHandle.standardError.write(Data("\n".utf8))
        }
        return readLine(strippingNewline: true)
    }

    /// Opens a session (`POST /v1/sessions`) and saves it as the profile at `path`.
    func login(_ api: ServerAPI, password: String, profilePath path: String) async throws(ClientFailure) -> Profile {
        let session = try await api.call("POST", "/v1/sessions", ["username": username, "password": password, "device": device])
        guard let token = session["token"]?.string, let userId = session["user_id"]?.string else {
            throw ClientFailure("bad_response", "POST /v1/sessions answered without a token: \(session)")
        }
        // The node that serves this user's devices, when it is another than the one asked
        // (the gateways split the users between them); HTTP works on any node.
        let node = session["node"]?.string.flatMap { Self.sameServer($0, api.url) ? nil : $0 }
        let profile = Profile(
            server: api.url, node: node, userId: userId, username: username, device: session["device"]?.string ?? device,
            token: token
        )
        try profile.save(to: path)
        return profile
    }

    /// Whether two URLs name the same server (`http://h:80` and `http://h/` do).
    static func sameServer(_ first: String, _ second: String) -> Bool {
        func normal(_ url: String) -> String? {
            guard let components = URLComponents(string: url), let host = components.host?.lowercased() else { return nil }
            return "\(components.scheme?.lowercased() ?? "http")://\(host):\(components.port ?? 80)"
        }
        return normal(first) != nil && normal(first) == normal(second)
    }
}
