#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Synchronization

/// An exclusive lock on a data directory, so a second broker on the same files fails at once
/// with a clear message instead of corrupting them.
final class DataDirectoryLock: Sendable {
    struct Held: Error, CustomStringConvertible {
        var directory: String
        var owner: String
        var description: String {
            "the data directory \(directory) is in use by another broker\(owner.isEmpty ? "" : " (pid \(owner))"); stop it or choose another --data directory"
        }
    }

    private let descriptor: Mutex<Int32?>

    init(directory: String) throws {
        let path = "\(directory)/broker.lock"
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw StorageError("open", path: path, errno: errno) }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let owner = (try? String(contentsOfFile: path, encoding: .utf8))?
                .trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            close(fd)
            throw Held(directory: directory, owner: owner)
        }
        ftruncate(fd, 0)
        let pid = "\(getpid())\n"
        _ = pid.withCString { pwrite(fd, $0, strlen($0), 0) }
        descriptor = Mutex(fd)
    }

    /// Lets another broker open the directory.
    func release() {
        descriptor.withLock { descriptor in
            guard let fd = descriptor else { return }
            flock(fd, LOCK_UN)
            close(fd)
            descriptor = nil
        }
    }

    deinit {
        release()
    }
}
