import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// An error of the client protocol: a snake_case code, a message for people, and the HTTP
/// status it is answered with. Rendered as `{"error": {"code", "message"}}` over HTTP and as
/// `{"type": "error", "code", "message", "ref"}` over the WebSocket.
public struct ChatError: Error, HTTPResponseError, Sendable, Equatable, CustomStringConvertible {
    public var code: String
    public var message: String
    public var status: HTTPResponse.Status
    /// Extra fields for the client (e.g. `node` for `wrong_node`).
    public var details: [String: String] = [:]

    public init(_ status: HTTPResponse.Status, _ code: String, _ message: String, details: [String: String] = [:]) {
        self.status = status
        self.code = code
        self.message = message
        self.details = details
    }

    public var description: String { "\(code): \(message)" }

    public var headers: HTTPFields { [.contentType: "application/json"] }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        response
    }

    /// The error as an HTTP response.
    public var response: Response {
        var error: [String: String] = ["code": code, "message": message]
        error.merge(details) { current, _ in current }
        let body = (try? JSONSerialization.data(withJSONObject: ["error": error], options: [.sortedKeys])) ?? Data()
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    // MARK: - The protocol's errors

    public static func invalid(_ message: String) -> ChatError { ChatError(.badRequest, "invalid_request", message) }
    public static func malformed(_ message: String) -> ChatError { ChatError(.badRequest, "malformed", message) }
    public static let unauthorized = ChatError(.unauthorized, "unauthorized", "a valid bearer token is required")
    public static let wrongPassword = ChatError(.unauthorized, "invalid_credentials", "unknown username or wrong password")
    public static func forbidden(_ message: String) -> ChatError { ChatError(.forbidden, "forbidden", message) }
    public static func notFound(_ message: String) -> ChatError { ChatError(.notFound, "not_found", message) }
    public static func unknownUser(_ user: String) -> ChatError { ChatError(.notFound, "unknown_user", "no user \(user)") }
    public static let usernameTaken = ChatError(.conflict, "username_taken", "that username is taken")
    public static func tooLarge(_ message: String) -> ChatError { ChatError(.contentTooLarge, "too_large", message) }
    public static func unavailable(_ message: String) -> ChatError { ChatError(.serviceUnavailable, "unavailable", message) }
}
