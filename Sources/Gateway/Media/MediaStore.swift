import Foundation

/// Content-addressed files: the bytes of media id `X` live at `ROOT/X[0..2]/X`, written once.
///
/// An upload streams into a temporary file while its SHA-256 is computed, so no upload is
/// ever held in memory; the finished file is fsynced and renamed into place (atomic), or
/// discarded if those bytes are already stored. An upload over the limit leaves nothing.
public struct MediaStore: Sendable {
    public struct TooLarge: Error {}

    public let root: String
    public let limit: Int64

    public init(root: String, limit: Int64) {
        self.root = root
        self.limit = limit
    }

    public func path(of id: String) -> String {
        "\(root)/\(id.prefix(2))/\(id)"
    }

    /// Stores the bytes of `chunks`; returns their id and size.
    /// - Throws: ``TooLarge`` past the limit (after removing the partial file).
    public func store<Chunks: AsyncSequence>(_ chunks: Chunks) async throws -> (id: String, size: Int64)
    where Chunks.Element == [UInt8] {
        try FileManager.default.createDirectory(atPath: "\(root)/tmp", withIntermediateDirectories: true)
        let temporary = "\(root)/tmp/\(UUID().uuidString)"
        guard FileManager.default.createFile(atPath: temporary, contents: nil) else {
            throw CocoaError(.fileWriteUnknown)
        }
        do {
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: temporary))
            defer { try? handle.close() }
            let hash = SHA256Stream()
            var size: Int64 = 0
            for try await chunk in chunks {
                size += Int64(chunk.count)
                guard size <= limit else { throw TooLarge() }
                chunk.withUnsafeBytes { hash.update($0) }
                try handle.write(contentsOf: chunk)
            }
            try handle.synchronize()
            let id = hash.finalizeHex()
            let final = path(of: id)
            if FileManager.default.fileExists(atPath: final) {
                try FileManager.default.removeItem(atPath: temporary)
            } else {
                let directory = (final as NSString).deletingLastPathComponent
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
                guard rename(temporary, final) == 0 else { throw CocoaError(.fileWriteUnknown) }
                Self.syncDirectory(directory)
            }
            return (id, size)
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw error
        }
    }

    private static func syncDirectory(_ path: String) {
        let fd = open(path, O_RDONLY)
        if fd >= 0 {
            fsync(fd)
            close(fd)
        }
    }
}
