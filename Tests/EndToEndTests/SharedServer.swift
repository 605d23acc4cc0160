import Foundation
import TestSupport

/// One `chat serve` shared by the tests that do not restart or kill it; each test uses its
/// own users, so they do not see each other.
enum SharedServer {
    private static let server = Task { try await ChatServer.start() }

    static func get() async throws -> ChatServer { try await server.value }

    /// A username unique to this run: `prefix` plus a random suffix.
    static func name(_ prefix: String) -> String {
        "\(prefix)-\(UUID().uuidString.prefix(8).lowercased())"
    }
}
