import KafkaProtocol
import NIOCore

/// Walks the record batches stored in a log file, reading it in large chunks.
///
/// Used at startup to find where a segment's valid data ends (a torn or corrupted tail stops
/// the walk) and to rebuild its indexes, and by readers to step from an index entry to the
/// batch they want.
struct BatchScanner {
    /// A batch found in the file: its header and where it starts.
    struct Found {
        var header: RecordBatchHeader
        var position: Int
    }

    let file: LogFile
    /// Check each batch's CRC-32C (startup validation) or trust the headers (lookups).
    var validatesChecksums: Bool
    var chunkSize = 1 << 20

    /// Calls `visit` for each well-formed batch from `position` up to `end`, until `visit`
    /// returns false or a batch is truncated, malformed or (when validating) corrupted.
    /// Returns the position just after the last batch visited.
    func walk(from position: Int, to end: Int, _ visit: (Found) throws -> Bool) throws -> Int {
        var chunkStart = position
        var chunk = ByteBuffer()
        var cursor = position
        var previousNext: Int64 = .min
        while cursor + RecordBatchHeader.size <= end {
            if cursor + RecordBatchHeader.size > chunkStart + chunk.readableBytes {
                chunkStart = cursor
                chunk = try file.read(count: min(chunkSize, end - cursor), at: cursor)
            }
            guard let header = RecordBatchHeader(from: chunk, at: chunk.readerIndex + cursor - chunkStart),
                header.magic == 2,
                header.totalSize >= RecordBatchHeader.size,
                cursor + header.totalSize <= end,
                header.baseOffset >= previousNext,
                header.lastOffsetDelta >= 0
            else { break }
            if validatesChecksums {
                var batch: ByteBuffer
                if cursor + header.totalSize <= chunkStart + chunk.readableBytes {
                    batch = chunk.getSlice(at: chunk.readerIndex + cursor - chunkStart, length: header.totalSize)!
                } else {
                    batch = try file.read(count: header.totalSize, at: cursor)
                    guard batch.readableBytes == header.totalSize else { break }
                }
                batch.moveReaderIndex(forwardBy: RecordBatchHeader.crcCoverageStart)
                let crc = batch.withUnsafeReadableBytes { CRC32C.checksum($0) }
                guard crc == header.crc else { break }
            }
            guard try visit(Found(header: header, position: cursor)) else { return cursor }
            previousNext = header.nextOffset
            cursor += header.totalSize
        }
        return cursor
    }

    /// The first batch at or after `position` whose last offset is at least `offset`.
    func firstBatch(containingOrAfter offset: Int64, from position: Int, to end: Int) throws -> Found? {
        var match: Found?
        var scanner = self
        scanner.chunkSize = 16 << 10
        _ = try scanner.walk(from: position, to: end) { found in
            if found.header.lastOffset >= offset {
                match = found
                return false
            }
            return true
        }
        return match
    }
}
