import Foundation
import KafkaProtocol
import NIOCore

/// One file of a partition's log, named after the offset of its first record, with the
/// sparse indexes that point into it. Only the last segment of a partition takes appends.
struct LogSegment: Sendable {
    let baseOffset: Int64
    let file: LogFile
    let directory: String
    /// Bytes of valid batches in the file.
    private(set) var size: Int
    /// Bytes the file holds. The active segment's file is extended ahead of its appends
    /// (``reserve(_:)``), so it may be longer than `size`; a closed segment's is not.
    private(set) var allocated = 0
    /// The offset after the last batch (== baseOffset while empty).
    private(set) var nextOffset: Int64
    private(set) var maxTimestamp: Int64
    /// When the first batch was appended (ms), for time-based rolling.
    private(set) var firstAppendMs: Int64?
    private(set) var offsetIndex: OffsetIndex
    private(set) var timeIndex: TimeIndex
    private var bytesSinceIndexEntry = 0

    static func fileName(_ baseOffset: Int64, _ suffix: String) -> String {
        let digits = String(baseOffset)
        return String(repeating: "0", count: max(0, 20 - digits.count)) + digits + "." + suffix
    }

    var logPath: String { "\(directory)/\(Self.fileName(baseOffset, "log"))" }
    var indexPath: String { "\(directory)/\(Self.fileName(baseOffset, "index"))" }
    var timeIndexPath: String { "\(directory)/\(Self.fileName(baseOffset, "timeindex"))" }

    // MARK: - Creating and loading

    /// Creates an empty segment file.
    static func create(directory: String, baseOffset: Int64) throws -> LogSegment {
        let path = "\(directory)/\(fileName(baseOffset, "log"))"
        let file = try LogFile(path: path, create: true)
        try file.truncate(to: 0)
        return LogSegment(emptyAt: baseOffset, file: file, directory: directory)
    }


    /// What loading a segment found.
    struct Recovery {
        var segment: LogSegment
        /// Bytes cut from the end because they did not form valid batches.
        var truncatedBytes: Int
        /// The headers of the batches that were walked (for rebuilding producer state).
        var walked: [RecordBatchHeader]
    }

    /// Opens an existing segment. With `trustIndexes` (after a clean shutdown) the saved
    /// indexes are used as they are; otherwise every batch after the last index entry is
    /// checked (all of them, when `fullScan`) and a torn or corrupt tail is truncated.
    static func load(
        directory: String, baseOffset: Int64, indexInterval: Int, trustIndexes: Bool, fullScan: Bool
    ) throws -> Recovery {
        let path = "\(directory)/\(fileName(baseOffset, "log"))"
        let file = try LogFile(path: path, create: false)
        let fileSize = try file.size()
        var segment = LogSegment(
            baseOffset: baseOffset, file: file, directory: directory, size: fileSize, nextOffset: baseOffset,
            maxTimestamp: -1, firstAppendMs: nil, offsetIndex: OffsetIndex(), timeIndex: TimeIndex()
        )
        let savedIndex = Self.readIndex(segment.indexPath, logSize: fileSize)
        let savedTimeIndex = (try? LogFile(path: segment.timeIndexPath, create: false))
            .flatMap { try? $0.read(count: $0.size(), at: 0) }
            .flatMap(TimeIndex.decode)

        var start = 0
        if !fullScan, let savedIndex, let savedTimeIndex {
            segment.offsetIndex = savedIndex
            segment.timeIndex = savedTimeIndex
            start = savedIndex.lastPosition
        }
        // The walk re-adds the entry at `start` (forced by a full interval) and any after it.
        segment.offsetIndex.truncate(toPosition: start)
        segment.bytesSinceIndexEntry = indexInterval
        segment.size = start

        var walked: [RecordBatchHeader] = []
        let scanner = BatchScanner(file: file, validatesChecksums: !trustIndexes)
        let end = try scanner.walk(from: start, to: fileSize) { found in
            // The base offset is not covered by the CRC: one outside this segment's range is
            // damage like any other, and ends the valid part.
            guard found.header.baseOffset >= baseOffset, found.header.lastOffset - baseOffset <= Int64(UInt32.max) else {
                return false
            }
            segment.noteAppended(found.header, at: found.position, indexInterval: indexInterval, now: nil)
            walked.append(found.header)
            return true
        }
        if start > 0 && walked.isEmpty {
            // The saved index points at a batch that is no longer there: rebuild from scratch.
            return try load(
                directory: directory, baseOffset: baseOffset, indexInterval: indexInterval,
                trustIndexes: false, fullScan: true
            )
        }
        if start > 0, let first = try? file.read(count: RecordBatchHeader.size, at: 0), let header = RecordBatchHeader(from: first) {
            // A segment ages from its first batch, not from the one its saved index ends at.
            segment.firstAppendMs = header.baseTimestamp
        }
        if let last = walked.last {
            segment.timeIndex.truncate(afterRelativeOffset: UInt32(last.baseOffset - baseOffset))
        } else if start == 0 {
            segment.timeIndex = TimeIndex()
        }
        segment.maxTimestamp = max(segment.maxTimestamp, segment.timeIndex.lastTimestamp)
        var truncated = fileSize - end
        if truncated > 0 {
            // After a crash the active segment may end in space allocated ahead of its
            // appends, which reads as zeros: that is no damage, and not counted as such.
            if fullScan { truncated = try file.endOfNonZeroBytes(from: end, to: fileSize) - end }
            try file.truncate(to: end)
            try file.sync()
        }
        segment.allocated = end
        return Recovery(segment: segment, truncatedBytes: truncated, walked: walked)
    }

    private static func readIndex(_ path: String, logSize: Int) -> OffsetIndex? {
        guard let file = try? LogFile(path: path, create: false), let bytes = try? file.read(count: file.size(), at: 0)
        else { return nil }
        return OffsetIndex.decode(bytes, logSize: logSize)
    }

    // MARK: - Appending

    /// Whether a batch of `batchSize` bytes ending at `lastOffset` must go to a new segment.
    func needsRoll(batchSize: Int, lastOffset: Int64, config: TopicConfig, now: Int64) -> Bool {
        guard size > 0 else { return false }
        if size + batchSize > config.segmentBytes { return true }
        if let first = firstAppendMs, now - first >= config.segmentMs { return true }
        return lastOffset - baseOffset > Int64(UInt32.max)
    }

    /// Writes a batch at the end of the file with its base offset set to `baseOffset` and
    /// the partition leader epoch set to 0, the two header fields the broker owns. Neither is
    /// covered by the CRC, so the rest of the client's bytes are written as they came.
    mutating func append(
        _ batch: ByteBuffer, header: RecordBatchHeader, baseOffset: Int64, indexInterval: Int, now: Int64
    ) throws {
        var prefix = ByteBufferAllocator().buffer(capacity: 16)
        prefix.writeInteger(baseOffset)
        prefix.writeInteger(header.batchLength)
        prefix.writeInteger(Int32(0))
        let rest = batch.getSlice(at: batch.readerIndex + 16, length: batch.readableBytes - 16)!
        try reserve(size + batch.readableBytes)
        try file.write([prefix, rest], at: size)
        var stored = header
        stored.baseOffset = baseOffset
        stored.partitionLeaderEpoch = 0
        noteAppended(stored, at: size, indexInterval: indexInterval, now: now)
    }

    /// Extends the file ahead of the appends, by steps that double up to 4 MiB. Writing into
    /// allocated space leaves the file's size and extents as they are, so the fsync after an
    /// append writes the data alone, not the inode too: measured here, about half the CPU and
    /// two thirds of the time of an fsync after an append that grows the file.
    private mutating func reserve(_ end: Int) throws {
        guard end > allocated else { return }
        let step = min(max(allocated, 64 << 10), 4 << 20)
        let target = max(end, allocated + step)
        try file.allocate(upTo: target)
        allocated = target
    }

    /// Gives back the space allocated ahead of the appends and makes the cut durable: a
    /// closed segment holds exactly its batches, so a recovery never finds zeros before the
    /// records of a later segment.
    mutating func trimAllocation() throws {
        guard allocated > size else { return }
        try file.truncate(to: size)
        try file.sync()
        allocated = size
    }

    /// Appends batches the broker built itself (compaction output), already carrying offsets.
    mutating func appendVerbatim(_ batch: ByteBuffer, header: RecordBatchHeader, indexInterval: Int) throws {
        try file.write([batch], at: size)
        noteAppended(header, at: size, indexInterval: indexInterval, now: nil)
    }

    /// Accounts for a batch now stored at `position`: size, offsets, timestamps, indexes.
    private mutating func noteAppended(_ header: RecordBatchHeader, at position: Int, indexInterval: Int, now: Int64?) {
        let relative = UInt32(header.baseOffset - baseOffset)
        if offsetIndex.entries.isEmpty || bytesSinceIndexEntry >= indexInterval {
            if position > 0 || offsetIndex.entries.isEmpty {
                offsetIndex.append(relativeOffset: relative, position: position)
            }
            bytesSinceIndexEntry = 0
        }
        bytesSinceIndexEntry += header.totalSize
        if header.maxTimestamp > maxTimestamp {
            maxTimestamp = header.maxTimestamp
            timeIndex.append(timestamp: header.maxTimestamp, relativeOffset: relative)
        }
        if firstAppendMs == nil { firstAppendMs = now ?? header.baseTimestamp }
        size = position + header.totalSize
        nextOffset = header.nextOffset
    }

    // MARK: - Reading

    /// Where a reader should start walking to find `offset`.
    func startPosition(for offset: Int64) -> Int {
        guard offset > baseOffset else { return 0 }
        return offsetIndex.position(atOrBefore: UInt32(clamping: offset - baseOffset))
    }

    // MARK: - Closing and deleting

    /// Writes the indexes next to the log, so a clean restart need not rebuild them.
    func saveIndexes() throws {
        let index = try LogFile(path: indexPath, create: true)
        try index.truncate(to: 0)
        try index.write([offsetIndex.encoded()], at: 0)
        let time = try LogFile(path: timeIndexPath, create: true)
        try time.truncate(to: 0)
        try time.write([timeIndex.encoded()], at: 0)
    }

    func delete() {
        for path in [logPath, indexPath, timeIndexPath] { unlink(path) }
    }

    func deleteIndexes() {
        for path in [indexPath, timeIndexPath] { unlink(path) }
    }
}

extension LogSegment {
    init(emptyAt baseOffset: Int64, file: LogFile, directory: String) {
        self.init(
            baseOffset: baseOffset, file: file, directory: directory, size: 0, nextOffset: baseOffset,
            maxTimestamp: -1, firstAppendMs: nil, offsetIndex: OffsetIndex(), timeIndex: TimeIndex()
        )
    }
}
