import Foundation

/// The session `register` and `login` save, and every other subcommand uses: whom it is
/// for, where, and the bearer token. The token is a credential, so the file is the user's
/// alone (mode 0600, written to a new file and renamed, never readable by others midway).
struct Profile: Codable, Equatable {
    /// The server's HTTP URL.
    var server: String
    /// The gateway that serves this user's WebSocket, when the session named another than
    /// `server` (a deployment with several gateways).
    var node: String?
    var userId: String
    var username: String
    var device: String
    var token: String

    enum CodingKeys: String, CodingKey {
        case server, node, username, device, token
        case userId = "user_id"
    }

    /// The profile at `path`, or nil if there is none.
    static func load(from path: String) throws(ClientFailure) -> Profile? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        do {
            return try JSONDecoder().decode(Profile.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw ClientFailure("bad_profile", "cannot read the profile \(path): \(error)")
        }
    }

    func save(to path: String) throws(ClientFailure) {
        let url = URL(fileURLWithPath: path)
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(getpid())")
        do {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            let data = try encoder.encode(self)
            try FileManager.default.createDirectory(
                at: url.deletingLastPathComponent(), withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700]
            )
            try Self.writeNew(temporary.path, data)
            guard rename(temporary.path, url.path) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw ClientFailure("bad_profile", "cannot write the profile \(path): \(error)")
        }
    }

    /// Creates `path` with mode 0600 from the start (not chmod-ed after the bytes are in).
    private static func writeNew(_ path: String, _ data: Data) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        defer { close(fd) }
        // A file left by an earlier run may carry wider permissions.
        guard fchmod(fd, 0o600) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        let written = data.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == data.count else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        guard fsync(fd) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
    }
}
