import Foundation
import KafkaProtocol
import Logging
import NIOCore

extension PartitionLog {
    struct CompactionSummary: Equatable {
        var segmentsIn: Int
        var segmentsOut: Int
        var bytesIn: Int
        var bytesOut: Int
    }

    /// Compacts the closed segments (never the active one) when enough of them is new since
    /// the last pass (`min.cleanable.dirty.ratio`).
    ///
    /// Runs beside appends and fetches: the lock is held only to pick the segments and,
    /// at the end, to swap the cleaned files in. Output is written to a `.cleaned` file,
    /// fsynced, and only then renamed to `.swap`; old files are removed after that. A crash
    /// therefore leaves the old segments and an incomplete `.cleaned` file (discarded at
    /// startup), or a complete `.swap` file that startup finishes swapping in.
    func compact(now: Int64) throws -> CompactionSummary? {
        guard let candidates = cleanableSegments(now: now) else { return nil }
        var policy = CompactionPolicy(now: now, deleteRetentionMs: config.deleteRetentionMs)
        for segment in candidates {
            try forEachBatch(in: segment) { batch, header in
                policy.observe(try BatchRecords.decode(batch, header: header), in: header)
            }
        }
        var summary = CompactionSummary(segmentsIn: 0, segmentsOut: 0, bytesIn: 0, bytesOut: 0)
        for group in Self.groups(of: candidates, maxBytes: config.segmentBytes) {
            let swap = try LogSegment.createSwap(directory: directory, baseOffset: group[0].baseOffset)
            var output = swap
            for segment in group {
                try forEachBatch(in: segment) { batch, header in
                    let records = try BatchRecords.decode(batch, header: header)
                    guard let kept = policy.compact(batch, header: header, records: records) else { return }
                    try output.appendVerbatim(kept, header: RecordBatchHeader(from: kept)!, indexInterval: config.indexIntervalBytes)
                }
            }
            try output.file.sync()
            let cleanedPath = LogSegment.cleanedPath(directory: directory, baseOffset: group[0].baseOffset)
            let swapPath = LogSegment.swapPath(directory: directory, baseOffset: group[0].baseOffset)
            guard rename(cleanedPath, swapPath) == 0 else { throw StorageError("rename", path: cleanedPath, errno: errno) }
            try syncDirectory(directory)
            if try swapIn(output, replacing: group) {
                summary.segmentsIn += group.count
                summary.segmentsOut += 1
                summary.bytesIn += group.reduce(0) { $0 + $1.size }
                summary.bytesOut += output.size
            } else {
                unlink(swapPath)
            }
        }
        return summary
    }

    /// Consecutive segments whose sizes add up to at most `maxBytes` become one output.
    private static func groups(of segments: [LogSegment], maxBytes: Int) -> [[LogSegment]] {
        var groups: [[LogSegment]] = []
        var current: [LogSegment] = []
        var size = 0
        for segment in segments {
            if !current.isEmpty && size + segment.size > maxBytes {
                groups.append(current)
                current = []
                size = 0
            }
            current.append(segment)
            size += segment.size
        }
        if !current.isEmpty { groups.append(current) }
        return groups
    }

    private func forEachBatch(in segment: LogSegment, _ body: (ByteBuffer, RecordBatchHeader) throws -> Void) throws {
        let scanner = BatchScanner(file: segment.file, validatesChecksums: false)
        _ = try scanner.walk(from: 0, to: segment.size) { found in
            let batch = try segment.file.read(count: found.header.totalSize, at: found.position)
            try body(batch, found.header)
            return true
        }
    }
}

extension LogSegment {
    static func swapPath(directory: String, baseOffset: Int64) -> String {
        "\(directory)/\(fileName(baseOffset, "log")).swap"
    }

    static func cleanedPath(directory: String, baseOffset: Int64) -> String {
        "\(directory)/\(fileName(baseOffset, "log")).cleaned"
    }

    /// An empty segment written under a temporary name, to be renamed into place.
    static func createSwap(directory: String, baseOffset: Int64) throws -> LogSegment {
        let path = cleanedPath(directory: directory, baseOffset: baseOffset)
        let file = try LogFile(path: path, create: true)
        try file.truncate(to: 0)
        return LogSegment(emptyAt: baseOffset, file: file, directory: directory)
    }
}
