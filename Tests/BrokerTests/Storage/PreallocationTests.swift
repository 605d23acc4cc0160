import Foundation
@testable import Broker
import KafkaProtocol
import Logging
import NIOCore
import Testing
import TestSupport

/// The active segment's file is allocated ahead of its appends (posix_fallocate, in steps
/// that double from 64 KiB to 4 MiB). A closed segment, rolled or shut down cleanly, holds
/// exactly its batches; after a crash the zeros behind the last batch are recognised as that
/// allocation and cut without being reported as a torn tail.
@Suite struct PreallocationTests {
    /// The first allocation step of an empty segment.
    private static let firstStep = 64 << 10

    /// Batches of two records, about 140 bytes each: seven fit a 1 KiB segment.
    private func batches(_ count: Int, prefix: String = "p") throws -> [TestBatch] {
        try (0..<count).map { try TestBatch(count: 2, prefix: "\(prefix)\($0)", valueLength: 30, baseTimestamp: 50_000 + Int64($0) * 10) }
    }

    // MARK: - While open

    @Test(.timeLimit(.minutes(1)))
    func theActiveFileIsAllocatedAheadOfItsBatches() async throws {
        let fixture = try PartitionLogFixture()
        let log = try fixture.open()
        let first = try TestBatch(count: 1, prefix: "one")
        try await log.appendDurably(first)

        let segment = try #require(try fixture.segments().first)
        #expect(segment.batches.count == 1)
        #expect(segment.size == first.size)
        #expect(segment.fileSize == Self.firstStep)
        // What lies behind the batch is allocated space, which reads as zeros.
        let bytes = try FileDamage.read(segment.path)
        #expect(bytes[segment.size...].allSatisfy { $0 == 0 })
        // The log itself counts only its batches.
        #expect(log.sizeInBytes == first.size)

        // Appends inside the allocation leave the file as long as it is.
        let more = try batches(20)
        try await log.appendAllDurably(more)
        let grown = try #require(try fixture.segments().first)
        #expect(grown.batches.count == 21)
        #expect(grown.size == first.size + more.reduce(0) { $0 + $1.size })
        #expect(grown.fileSize == Self.firstStep)
        #expect(try log.readAll().map(TestRecord.of) == [first.records] + more.map(\.records))
    }

    /// The step doubles with what is allocated (64 KiB, 128 KiB, … 4 MiB), and every record
    /// written across the steps is read back after a crash.
    @Test(.timeLimit(.minutes(3)))
    func manyAppendsCrossingSeveralStepsAreAllRecoveredAfterACrash() async throws {
        let fixture = try PartitionLogFixture()
        var log = try fixture.open()
        let written = try (0..<10_000).map { index in
            try TestBatch([TestRecord(key: "k\(index)", value: String(repeating: Character(UnicodeScalar(UInt8(97 + index % 26))), count: 200))])
        }
        let path = fixture.logPath(0)
        var sizes: [Int] = []
        var batchBytes = 0
        for batch in written {
            try log.appendAccepted(batch)
            batchBytes += batch.size
            let size = try FileDamage.size(path)
            #expect(size >= batchBytes)
            if sizes.last != size { sizes.append(size) }
        }
        try await log.waitUntilDurable(log.bounds.logEndOffset)
        try #require(batchBytes > 2 << 20 && batchBytes <= 4 << 20, "\(batchBytes) bytes: the expected steps below assume 2-4 MiB")
        let steps: [Int] = [65_536, 131_072, 262_144, 524_288, 1_048_576, 2_097_152, 4_194_304]
        #expect(sizes == steps)

        let capture = LogCapture()
        log = try capture.open(fixture, cleanShutdown: false)
        #expect(capture.warnings.isEmpty, "\(capture.warnings)")
        #expect(try FileDamage.size(path) == batchBytes)
        #expect(log.bounds == .init(logStartOffset: 0, highWatermark: 10_000, logEndOffset: 10_000))
        let read = try log.readAll()
        #expect(read.map(\.header.baseOffset) == (0..<10_000).map(Int64.init))
        #expect(read.map(TestRecord.of) == written.map(\.records))
    }

    // MARK: - Closed segments

    /// A segment is cut to its batches when it rolls, at once (before any flush), while the
    /// new active segment is allocated ahead.
    @Test(.timeLimit(.minutes(1)))
    func aRolledSegmentHoldsExactlyItsBatches() async throws {
        let fixture = try PartitionLogFixture(config: smallSegments(), startFlusher: false)
        let log = try fixture.open()
        let written = try batches(20)
        for (index, batch) in written.enumerated() {
            try log.appendAccepted(batch)
            let segments = try fixture.segments()
            let closed = segments.dropLast()
            #expect(closed.allSatisfy { $0.fileSize == $0.size }, "after batch \(index): \(closed.map { ($0.fileSize, $0.size) })")
            let active = try #require(segments.last)
            #expect(active.fileSize == Self.firstStep, "after batch \(index)")
            #expect(active.size > 0 && active.size < active.fileSize)
        }
        let segments = try fixture.segments()
        #expect(segments.count >= 3)
        #expect(segments.reduce(0) { $0 + $1.size } == written.reduce(0) { $0 + $1.size })
        #expect(log.sizeInBytes == written.reduce(0) { $0 + $1.size })

        log.flush()
        #expect(try log.readAll().map(TestRecord.of) == written.map(\.records))
    }

    @Test(.timeLimit(.minutes(1)), arguments: [1 << 30, 1024])
    func aCleanCloseLeavesEveryFileExactlyItsBatches(segmentBytes: Int) async throws {
        let fixture = try PartitionLogFixture(config: smallSegments(segmentBytes: segmentBytes))
        var log = try fixture.open()
        let written = try batches(10)
        try await log.appendAllDurably(written)
        #expect(try fixture.segments().last?.fileSize == Self.firstStep)
        let bounds = log.bounds
        try log.close()

        let closed = try fixture.segments()
        #expect(closed.count == (segmentBytes > 1024 ? 1 : 2))
        for segment in closed {
            #expect(segment.fileSize == segment.size, "segment \(segment.baseOffset)")
        }
        #expect(closed.reduce(0) { $0 + $1.size } == written.reduce(0) { $0 + $1.size })

        log = try fixture.open(cleanShutdown: true)
        #expect(log.bounds == bounds)
        #expect(try log.readAll().map(TestRecord.of) == written.map(\.records))

        // Appends after the restart are allocated ahead again, from where the batches end.
        let activeEnd = try #require(closed.last).size
        let next = try TestBatch(count: 1, prefix: "after")
        #expect(try await log.appendDurably(next) == bounds.logEndOffset)
        let active = try #require(try fixture.segments().last)
        #expect(active.size == activeEnd + next.size)
        #expect(active.fileSize == activeEnd + Self.firstStep)

        try log.close()
        #expect(try fixture.segments().allSatisfy { $0.fileSize == $0.size })
        log = try fixture.open(cleanShutdown: true)
        #expect(try log.readAll().map(TestRecord.of) == written.map(\.records) + [next.records])
    }

    // MARK: - After a crash

    /// The file of a crashed active segment ends in allocated zeros: recovery cuts them
    /// without reporting truncated bytes (so the broker warns of no torn tail), keeps every
    /// record, and appends after it survive the next crash too.
    @Test(.timeLimit(.minutes(1)), arguments: [1 << 30, 1024])
    func aCrashLeavesAnAllocatedTailThatIsNoDamage(segmentBytes: Int) async throws {
        let fixture = try PartitionLogFixture(config: smallSegments(segmentBytes: segmentBytes))
        var log = try fixture.open()
        let written = try batches(10)
        try await log.appendAllDurably(written)
        let crashed = try fixture.segments()
        let active = try #require(crashed.last)
        #expect(active.fileSize == Self.firstStep)
        #expect(active.size < active.fileSize)

        // The segment as LogSegment.load finds it, on a copy of the crashed directory.
        let copy = fixture.root.child("copy")
        try FileManager.default.copyItem(atPath: fixture.directory, toPath: copy)
        let recovery = try LogSegment.load(
            directory: copy, baseOffset: active.baseOffset, indexInterval: fixture.config.indexIntervalBytes,
            trustIndexes: false, fullScan: true
        )
        #expect(recovery.truncatedBytes == 0)
        #expect(recovery.segment.size == active.size)
        #expect(recovery.segment.nextOffset == 20)
        #expect(recovery.walked.map(\.baseOffset) == active.batches.map(\.header.baseOffset))
        #expect(try FileDamage.size("\(copy)/\(LogSegment.fileName(active.baseOffset, "log"))") == active.size)

        // The partition reopened the way the broker does after a crash.
        let capture = LogCapture()
        log = try capture.open(fixture, cleanShutdown: false)
        #expect(capture.warnings.isEmpty, "\(capture.warnings)")
        #expect(log.bounds == .init(logStartOffset: 0, highWatermark: 20, logEndOffset: 20))
        #expect(try fixture.segments().map(\.fileSize) == crashed.map(\.size))
        #expect(try log.readAll().map(TestRecord.of) == written.map(\.records))

        // Appends after the recovery, then a second crash.
        let later = try batches(4, prefix: "later")
        #expect(try await log.appendAllDurably(later) == [20, 22, 24, 26])
        let second = try #require(try fixture.segments().last)
        #expect(second.fileSize > second.size)

        let again = LogCapture()
        log = try again.open(fixture, cleanShutdown: false)
        #expect(again.warnings.isEmpty, "\(again.warnings)")
        #expect(log.bounds == .init(logStartOffset: 0, highWatermark: 28, logEndOffset: 28))
        #expect(try fixture.segments().allSatisfy { $0.fileSize == $0.size })
        #expect(try log.readAll().map(TestRecord.of) == (written + later).map(\.records))
        #expect(try await log.appendDurably(TestBatch(count: 1, prefix: "last")) == 28)
    }

    /// Bytes that are not zero behind the last batch, inside the allocated space, are damage
    /// still: reported, cut, and the records before them kept. (This also shows that the
    /// capture sees the warning the test above expects not to see.)
    @Test(.timeLimit(.minutes(1)), arguments: [0, 1, 100, -1])
    func nonZeroBytesInTheAllocatedTailAreDamage(offsetBehindTheData: Int) async throws {
        let fixture = try PartitionLogFixture()
        var log = try fixture.open()
        let written = try batches(5)
        try await log.appendAllDurably(written)
        let segment = try #require(try fixture.segments().first)
        #expect(segment.fileSize == Self.firstStep)
        let position = offsetBehindTheData >= 0 ? segment.size + offsetBehindTheData : segment.fileSize - 1
        try FileDamage.write([0x5A], to: segment.path, at: position)

        let capture = LogCapture()
        log = try capture.open(fixture, cleanShutdown: false)
        // Counted up to the damaged byte: the zeros behind it are still allocated space.
        #expect(capture.warnings == ["truncated a torn or corrupt tail: bytes=\(position + 1 - segment.size)"])
        #expect(try FileDamage.size(segment.path) == segment.size)
        #expect(log.bounds.logEndOffset == 10)
        #expect(try log.readAll().map(TestRecord.of) == written.map(\.records))
        #expect(try await log.appendDurably(TestBatch(count: 1)) == 10)
    }

    /// A batch torn while it was written into the allocated space (its first bytes there,
    /// zeros behind) is a torn tail, not allocation: reported and cut where the batch began.
    @Test(.timeLimit(.minutes(1)), arguments: [10, RecordBatchHeader.size, 100])
    func aBatchTornInsideTheAllocationIsReported(written bytesOfTheLastBatch: Int) async throws {
        let fixture = try PartitionLogFixture()
        var log = try fixture.open()
        let written = try batches(6)
        try await log.appendAllDurably(written)
        let segment = try #require(try fixture.segments().first)
        let last = try #require(segment.batches.last)
        #expect(bytesOfTheLastBatch < last.header.totalSize)
        // Zeros from the cut to the end of the batch: the file keeps its allocated length.
        let zeros = [UInt8](repeating: 0, count: last.header.totalSize - bytesOfTheLastBatch)
        try FileDamage.write(zeros, to: segment.path, at: last.position + bytesOfTheLastBatch)
        #expect(try FileDamage.size(segment.path) == Self.firstStep)

        let capture = LogCapture()
        log = try capture.open(fixture, cleanShutdown: false)
        // Counted up to the torn batch's last byte that is not zero.
        let torn = last.bytes.readableBytesView.prefix(bytesOfTheLastBatch)
        let damaged = torn.lastIndex { $0 != 0 }.map { torn.distance(from: torn.startIndex, to: $0) + 1 } ?? 0
        #expect(capture.warnings == ["truncated a torn or corrupt tail: bytes=\(damaged)"])
        #expect(try FileDamage.size(segment.path) == last.position)
        #expect(log.bounds.logEndOffset == last.header.baseOffset)
        #expect(try log.readAll().map(TestRecord.of) == written.dropLast().map(\.records))
        #expect(try await log.appendDurably(TestBatch(count: 1)) == last.header.baseOffset)
    }
}

// MARK: - Support

/// Keeps the warnings and errors storage logs, so that a test tells a recovery that reported
/// damage from one that did not. Each is "message: key=value, …" with sorted keys, minus
/// the partition and segment.
private final class LogCapture: Sendable {
    private let entries = Locked<[String]>([])

    var warnings: [String] { entries.value }

    /// Opens the fixture's partition with this capture as its logger.
    func open(_ fixture: PartitionLogFixture, cleanShutdown: Bool) throws -> PartitionLog {
        try PartitionLog.open(
            directory: fixture.directory, topic: "topic", partition: 0, config: fixture.config,
            cleanShutdown: cleanShutdown, flusher: fixture.flusher, logger: logger
        )
    }

    private var logger: Logger {
        Logger(label: "preallocation-tests") { [entries] _ in Handler(entries: entries) }
    }

    private struct Handler: LogHandler {
        let entries: Locked<[String]>
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .warning

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            guard event.level >= .warning else { return }
            let fields = (event.metadata ?? [:]).filter { $0.key != "partition" && $0.key != "segment" }
                .sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
            let line = fields.isEmpty ? "\(event.message)" : "\(event.message): \(fields.joined(separator: ", "))"
            entries.withLock { $0.append(line) }
        }
    }
}
