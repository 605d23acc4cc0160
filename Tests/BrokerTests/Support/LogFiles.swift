import Foundation
@testable import Broker
import KafkaProtocol
import NIOCore

/// What a segment file holds, read straight from disk without the broker's code, so tests
/// check the broker's bookkeeping against the bytes.
struct StoredSegment: Sendable {
    struct Batch: Sendable {
        var position: Int
        var header: RecordBatchHeader
        var bytes: ByteBuffer
    }

    var baseOffset: Int64
    var path: String
    /// Where the last whole batch ends: the bytes of batches.
    var size: Int
    /// The length of the file. The active segment's file is allocated ahead of its appends,
    /// so it is longer than `size` while the partition is open; a closed segment's is not.
    var fileSize: Int
    var batches: [Batch]

    var nextOffset: Int64 { batches.last?.header.nextOffset ?? baseOffset }

    /// The segments of a partition directory in offset order. Stops at the first bytes that
    /// do not form a whole batch (in a healthy log, only the zeros of the active segment's
    /// allocation).
    static func all(in directory: String) throws -> [StoredSegment] {
        try logFileBases(in: directory).map { base in
            let path = "\(directory)/\(LogSegment.fileName(base, "log"))"
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            var buffer = ByteBuffer(bytes: data)
            var batches: [Batch] = []
            var position = 0
            while let header = RecordBatchHeader(from: buffer), header.totalSize >= RecordBatchHeader.size,
                let bytes = buffer.readSlice(length: header.totalSize)
            {
                batches.append(Batch(position: position, header: header, bytes: bytes))
                position += header.totalSize
            }
            return StoredSegment(baseOffset: base, path: path, size: position, fileSize: data.count, batches: batches)
        }
    }

    /// The base offsets named by the `.log` files of `directory`, ascending.
    static func logFileBases(in directory: String) throws -> [Int64] {
        try FileManager.default.contentsOfDirectory(atPath: directory)
            .compactMap { $0.hasSuffix(".log") ? Int64($0.dropLast(4)) : nil }
            .sorted()
    }

    /// Every file name in `directory` with the given suffix, sorted.
    static func files(in directory: String, suffix: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(suffix) }.sorted()
    }
}

/// Byte-level damage, done to files the way a crash or a bad disk would leave them.
enum FileDamage {
    static func size(_ path: String) throws -> Int {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        return (attributes[.size] as? NSNumber)?.intValue ?? -1
    }

    static func truncate(_ path: String, to size: Int) throws {
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        try handle.truncate(atOffset: UInt64(size))
    }

    static func append(_ bytes: [UInt8], to path: String) throws {
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(bytes))
    }

    /// Inverts every bit of the byte at `position`.
    static func flipByte(_ path: String, at position: Int) throws {
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        try handle.seek(toOffset: UInt64(position))
        guard let byte = try handle.read(upToCount: 1)?.first else { throw TestFailure("no byte at \(position) in \(path)") }
        try handle.seek(toOffset: UInt64(position))
        try handle.write(contentsOf: Data([~byte]))
    }

    /// Overwrites the file's bytes at `position` with `bytes` (extending it if need be).
    static func write(_ bytes: [UInt8], to path: String, at position: Int) throws {
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        try handle.seek(toOffset: UInt64(position))
        try handle.write(contentsOf: Data(bytes))
    }

    static func read(_ path: String) throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: path)))
    }
}
