import Foundation

/// What a partition must remember beyond its segments: the log start offset that
/// DeleteRecords moved into the middle of a segment.
struct PartitionMeta: Codable, Equatable {
    static let fileName = "partition.json"

    var logStartOffset: Int64 = 0

    static func read(directory: String) -> PartitionMeta {
        guard let data = FileManager.default.contents(atPath: "\(directory)/\(fileName)"),
            let meta = try? JSONDecoder().decode(PartitionMeta.self, from: data)
        else { return PartitionMeta() }
        return meta
    }

    func write(directory: String) throws {
        try writeDurably(JSONEncoder().encode(self), to: "\(directory)/\(Self.fileName)")
    }
}

/// Replaces the file at `path` with `data` so that a crash leaves either the old or the new
/// contents: write a temporary file, fsync it, rename it over, fsync the directory.
func writeDurably(_ data: Data, to path: String) throws {
    let temporary = path + ".tmp"
    let file = try LogFile(path: temporary, create: true)
    try file.truncate(to: 0)
    var buffer = ByteBufferAllocator().buffer(capacity: data.count)
    buffer.writeBytes(data)
    try file.write([buffer], at: 0)
    try file.sync()
    guard rename(temporary, path) == 0 else { throw StorageError("rename", path: path, errno: errno) }
    try syncDirectory((path as NSString).deletingLastPathComponent)
}

import NIOCore
