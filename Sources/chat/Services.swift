import Foundation
import Gateway
import Logging
import Projections
import ServiceLifecycle

/// A long-running part of the system as a service: it runs until graceful shutdown (SIGTERM
/// or SIGINT) cancels it, and a failure stops the whole process.
struct RunService: Service {
    let name: String
    let body: @Sendable () async throws -> Void

    func run() async throws {
        try await cancelWhenGracefulShutdown {
            do {
                try await body()
            } catch is CancellationError {
            }
        }
    }
}

/// Where the chat's data lives in a data directory.
struct DataLayout {
    let root: String

    var broker: String { "\(root)/broker" }
    var gateway: String { "\(root)/gateway" }
    /// The gateway's read models (see `ChatGateway`).
    var readModels: String { "\(gateway)/\(ChatDatabase.Store.readModels.fileName)" }
    var tokenSecret: String { "\(root)/token.secret" }
}
