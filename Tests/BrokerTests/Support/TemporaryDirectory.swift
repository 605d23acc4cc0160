import Foundation

/// A fresh, uniquely named directory under the system's temporary directory, removed with
/// everything in it when the last reference goes.
final class TemporaryDirectory: Sendable {
    let path: String

    init(prefix: String = "broker-storage-test") throws {
        let base = FileManager.default.temporaryDirectory.path
        path = "\(base)/\(prefix)-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }

    /// The path of `name` inside the directory.
    func child(_ name: String) -> String { "\(path)/\(name)" }
}
