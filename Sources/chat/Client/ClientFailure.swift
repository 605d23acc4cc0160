import ArgumentParser
import ChatClient
import Foundation

/// Why a client command failed, in the protocol's terms: a snake_case code and a message.
/// Printed as `error: <code>: <message>` on stderr, and the command exits with status 1.
struct ClientFailure: Error, Equatable, CustomStringConvertible {
    var code: String
    var message: String

    init(_ code: String, _ message: String) {
        self.code = code
        self.message = message
    }

    var description: String { "\(code): \(message)" }

    /// The protocol error an HTTP answer carries, or a description of an answer that is not one.
    init(response: HTTPResult, request: String) {
        self.init(status: response.status, body: response.body, request: request)
    }

    init(status: Int, body: Data, request: String) {
        if let error = (try? JSONValue(parsing: body))?["error"], let code = error["code"]?.string {
            self.init(code, error["message"]?.string ?? "")
        } else {
            let text = String(decoding: body.prefix(200), as: UTF8.self)
            self.init("http_\(status)", "\(request) answered \(status)\(text.isEmpty ? "" : ": \(text)")")
        }
    }

    /// An `error` frame from the WebSocket.
    init(frame: JSONValue) {
        self.init(frame["code"]?.string ?? "error", frame["message"]?.string ?? "\(frame)")
    }

    static func unreachable(_ url: String, _ error: any Error) -> ClientFailure {
        ClientFailure("connection_failed", "cannot reach \(url): \(NetworkErrorText.describe(error))")
    }
}

extension ClientFailure {
    /// Runs a subcommand's body; a failure is printed the protocol's way and ends the process
    /// with status 1 (ArgumentParser would print its own "Error:" and usage otherwise).
    static func reporting(_ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch let failure as ClientFailure {
            Console.error("error: \(failure.code): \(failure.message)")
            throw ExitCode.failure
        }
    }
}
