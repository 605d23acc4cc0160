import Foundation

/// A fresh directory under the system's temporary directory, removed when released or, if it
/// never is (a suite's shared server), when the test process exits.
public final class TemporaryDirectory: Sendable {
    public let path: String

    public init(prefix: String = "chat-test") throws {
        let base = FileManager.default.temporaryDirectory.path
        path = "\(base)/\(prefix)-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        ExitCleanup.adopt(directory: path)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
        ExitCleanup.forget(directory: path)
    }

    public func child(_ name: String) -> String { "\(path)/\(name)" }
}
