import Foundation
@testable import Broker
import KafkaProtocol
import NIOCore
import Testing

/// Reopening a partition after a crash (the previous instance is simply dropped, never
/// closed) or after a clean shutdown.
@Suite struct RecoveryTests {
    /// Batches of two records, about 140 bytes each: seven fit a 1 KiB segment.
    private func batches(_ count: Int, prefix: String = "r") throws -> [TestBatch] {
        try (0..<count).map { try TestBatch(count: 2, prefix: "\(prefix)\($0)", valueLength: 30, baseTimestamp: 50_000 + Int64($0) * 10) }
    }

    /// The `index`th batch of an idempotent producer, two records (sequences 2 index, 2 index + 1).
    private func idempotent(_ index: Int, epoch: Int16 = 2, baseTimestamp: Int64 = 1_000) throws -> TestBatch {
        try TestBatch(
            count: 2, prefix: "idem\(index)", valueLength: 30, baseTimestamp: baseTimestamp, producerId: 77,
            producerEpoch: epoch, baseSequence: Int32(index * 2)
        )
    }

    // MARK: - (a) a torn tail

    @Test(.timeLimit(.minutes(1)), arguments: [1 << 20, 1024], [10, RecordBatchHeader.size, 100])
    func tornTailIsCutAtTheLastWholeBatch(segmentBytes: Int, cut: Int) async throws {
        let fixture = try PartitionLogFixture(config: smallSegments(segmentBytes: segmentBytes))
        var log = try fixture.open()
        let written = try batches(20)
        let bases = try await log.appendAllDurably(written)
        let segmentCount = try fixture.segments().count
        #expect(segmentBytes > 1024 ? segmentCount == 1 : segmentCount >= 3)
        let active = try #require(try fixture.segments().last)
        let last = try #require(active.batches.last)
        #expect(cut < last.header.totalSize)

        try FileDamage.truncate(active.path, to: last.position + cut)
        log = try fixture.open(cleanShutdown: false)

        let end = last.header.baseOffset
        #expect(log.bounds == .init(logStartOffset: 0, highWatermark: end, logEndOffset: end))
        #expect(try FileDamage.size(active.path) == last.position)
        #expect(try log.readAll().map(TestRecord.of) == written.dropLast().map(\.records))
        #expect(try log.isOutOfRange(end + 1))

        // Offsets continue densely where the whole batches end.
        let next = try TestBatch(count: 3, prefix: "after")
        #expect(try await log.appendDurably(next) == end)
        let reread = try log.readAll()
        #expect(reread.map(\.header.baseOffset) == bases.dropLast() + [end])
        #expect(reread.last.map(TestRecord.of) == next.records)
    }

    @Test(.timeLimit(.minutes(1)))
    func tornFirstBatchLeavesTheActiveSegmentEmpty() async throws {
        let fixture = try PartitionLogFixture(config: smallSegments())
        var log = try fixture.open()
        let written = try batches(8)  // the eighth starts a second segment
        try await log.appendAllDurably(written)
        let segments = try fixture.segments()
        #expect(segments.count == 2)
        let active = try #require(segments.last)
        #expect(active.batches.count == 1)

        try FileDamage.truncate(active.path, to: 20)
        log = try fixture.open(cleanShutdown: false)
        #expect(log.bounds == .init(logStartOffset: 0, highWatermark: active.baseOffset, logEndOffset: active.baseOffset))
        #expect(try FileDamage.size(active.path) == 0)
        #expect(try log.readAll().map(TestRecord.of) == written.dropLast().map(\.records))
        #expect(try await log.appendDurably(TestBatch(count: 1)) == active.baseOffset)
    }

    // MARK: - (b) a corrupt tail

    /// Bytes inside the last batch that its CRC covers (attributes, timestamps, records),
    /// the CRC itself, the magic byte and the length.
    @Test(.timeLimit(.minutes(1)), arguments: [8, 16, 18, 22, 30, RecordBatchHeader.size + 4, -1])
    func corruptLastBatchIsDropped(byteInBatch: Int) async throws {
        let fixture = try PartitionLogFixture()
        var log = try fixture.open()
        let written = try batches(6)
        try await log.appendAllDurably(written)
        let segment = try #require(try fixture.segments().first)
        let last = try #require(segment.batches.last)
        let position = byteInBatch >= 0 ? last.position + byteInBatch : segment.size - 1

        try FileDamage.flipByte(segment.path, at: position)
        log = try fixture.open(cleanShutdown: false)

        #expect(log.bounds.logEndOffset == last.header.baseOffset)
        #expect(log.bounds.highWatermark == last.header.baseOffset)
        #expect(try FileDamage.size(segment.path) == last.position)
        #expect(try log.readAll().map(TestRecord.of) == written.dropLast().map(\.records))
        #expect(try await log.appendDurably(TestBatch(count: 1)) == last.header.baseOffset)
    }

    @Test(.timeLimit(.minutes(1)))
    func corruptBatchInTheMiddleOfTheActiveSegmentCutsEverythingAfterIt() async throws {
        let fixture = try PartitionLogFixture()
        var log = try fixture.open()
        let written = try batches(6)
        try await log.appendAllDurably(written)
        let segment = try #require(try fixture.segments().first)
        let victim = segment.batches[2]
        try FileDamage.flipByte(segment.path, at: victim.position + RecordBatchHeader.size + 1)

        log = try fixture.open(cleanShutdown: false)
        #expect(log.bounds.logEndOffset == 4)
        #expect(try FileDamage.size(segment.path) == victim.position)
        #expect(try log.readAll().map(TestRecord.of) == written.prefix(2).map(\.records))
    }

    // MARK: - (c) garbage after the data

    enum Garbage: String, CaseIterable, Sendable {
        case shortZeros, zeros, ones, replayedBatch
    }

    @Test(.timeLimit(.minutes(1)), arguments: Garbage.allCases)
    func garbageAfterValidDataIsCut(_ garbage: Garbage) async throws {
        let fixture = try PartitionLogFixture()
        var log = try fixture.open()
        let written = try batches(5)
        try await log.appendAllDurably(written)
        let segment = try #require(try fixture.segments().first)
        let bytes: [UInt8] = switch garbage {
        case .shortZeros: [UInt8](repeating: 0, count: 30)
        case .zeros: [UInt8](repeating: 0, count: 200)
        case .ones: [UInt8](repeating: 0xFF, count: 200)
        // A whole valid batch (CRC and all) whose offsets go backwards.
        case .replayedBatch: Array(segment.batches[1].bytes.readableBytesView)
        }
        // Right behind the last batch, in the space allocated ahead of the appends.
        #expect(segment.fileSize > segment.size + bytes.count)
        try FileDamage.write(bytes, to: segment.path, at: segment.size)

        log = try fixture.open(cleanShutdown: false)
        #expect(log.bounds.logEndOffset == 10)
        #expect(try FileDamage.size(segment.path) == segment.size)
        #expect(try log.readAll().map(TestRecord.of) == written.map(\.records))
        #expect(try await log.appendDurably(TestBatch(count: 1)) == 10)
    }

    // MARK: - (d) corruption in an older segment

    /// With one index entry per segment the whole segment is checked; with one per batch,
    /// only its last batch is (the rest was fsynced before the roll).
    @Test(.timeLimit(.minutes(1)), arguments: [4096, 0])
    func corruptBatchInAnOlderSegmentRemovesTheSegmentsAfterIt(indexInterval: Int) async throws {
        let fixture = try PartitionLogFixture(config: smallSegments(segmentBytes: 1024, indexIntervalBytes: indexInterval))
        var log = try fixture.open()
        let written = try batches(30)
        let bases = try await log.appendAllDurably(written)
        let segments = try fixture.segments()
        #expect(segments.count >= 4)
        let victimSegment = segments[1]
        let victim = indexInterval == 0 ? victimSegment.batches.last! : victimSegment.batches[2]
        try FileDamage.flipByte(victimSegment.path, at: victim.position + RecordBatchHeader.size + 4)

        log = try fixture.open(cleanShutdown: false)
        let end = victim.header.baseOffset
        #expect(log.bounds == .init(logStartOffset: 0, highWatermark: end, logEndOffset: end))
        let after = try fixture.segments()
        #expect(after.map(\.baseOffset) == [segments[0].baseOffset, victimSegment.baseOffset])
        #expect(after.last?.size == victim.position)
        // Nothing of the removed segments is left behind.
        let names = try StoredSegment.files(in: fixture.directory, suffix: "")
        for removed in segments.dropFirst(2) {
            #expect(!names.contains { $0.hasPrefix(LogSegment.fileName(removed.baseOffset, "")) }, "\(names)")
        }
        #expect(ProducerSnapshots.offsets(directory: fixture.directory).allSatisfy { $0 <= end })

        let kept = bases.firstIndex(of: end)!
        #expect(try log.readAll().map(TestRecord.of) == written.prefix(kept).map(\.records))
        let next = try TestBatch(count: 1, prefix: "next")
        #expect(try await log.appendDurably(next) == end)
        #expect(try log.readAll().last.map(TestRecord.of) == next.records)
    }

    // MARK: - (e) a clean shutdown

    @Test(.timeLimit(.minutes(1)), arguments: [0, 4096])
    func cleanShutdownRestoresOffsetsIndexesAndProducers(indexInterval: Int) async throws {
        let config = smallSegments(segmentBytes: 1024, indexIntervalBytes: indexInterval)
        let fixture = try PartitionLogFixture(config: config)
        var log = try fixture.open()
        var written: [TestBatch] = []
        var producerIndex = 0
        for index in 0..<24 {
            let timestamp = 70_000 + Int64(index) * 10
            if index % 3 == 0 {
                written.append(try TestBatch(count: 2, prefix: "plain\(index)", valueLength: 30, baseTimestamp: timestamp))
            } else {
                written.append(try idempotent(producerIndex, baseTimestamp: timestamp))
                producerIndex += 1
            }
        }
        #expect(producerIndex == 16)
        let bases = try await log.appendAllDurably(written)
        try #require(log.deleteRecords(before: 3) == .moved(logStartOffset: 3))
        let bounds = log.bounds
        try log.close()

        // What close left: every segment's indexes and a producer snapshot at the log end.
        let segments = try fixture.segments()
        #expect(segments.count >= 4)
        #expect(ProducerSnapshots.offsets(directory: fixture.directory).last == bounds.logEndOffset)
        for segment in segments {
            let loaded = try LogSegment.load(
                directory: fixture.directory, baseOffset: segment.baseOffset, indexInterval: indexInterval,
                trustIndexes: true, fullScan: false
            ).segment
            let expected: [OffsetIndex.Entry] = indexInterval == 0
                ? segment.batches.map { .init(relativeOffset: UInt32($0.header.baseOffset - segment.baseOffset), position: UInt32($0.position)) }
                : [.init(relativeOffset: 0, position: 0)]
            #expect(loaded.offsetIndex.entries == expected)
            let indexFile = try FileDamage.read("\(fixture.directory)/\(LogSegment.fileName(segment.baseOffset, "index"))")
            #expect(indexFile.count == expected.count * OffsetIndex.entrySize)
            #expect(loaded.timeIndex.entries.map(\.relativeOffset) == segment.batches.map { UInt32($0.header.baseOffset - segment.baseOffset) })
        }

        log = try fixture.open(cleanShutdown: true)
        #expect(log.bounds == bounds)
        #expect(try log.isOutOfRange(2))
        let all = try log.readAll(from: 3)
        #expect(all.map(\.header.baseOffset) == Array(bases.drop { $0 < 2 }))
        for offset in Int64(3)..<bounds.logEndOffset {
            let read = try decodeBatches(try log.readRecords(from: offset, maxBytes: 1))
            #expect(read.count == 1 && read[0].header.baseOffset <= offset && read[0].header.lastOffset >= offset)
        }
        let sixth = written[5]
        #expect(try log.offset(forTimestamp: sixth.header.baseTimestamp)! == (bases[5], sixth.header.baseTimestamp))

        // The producer's last five batches are still recognised, and it continues in sequence.
        let producerBatches = written.indices.filter { written[$0].header.hasProducerId }
        for index in producerBatches.suffix(5) {
            #expect(try log.append(written[index]) == .duplicate(baseOffset: bases[index]))
        }
        let next = try idempotent(16)
        #expect(try await log.appendDurably(next) == bounds.logEndOffset)
    }

    // MARK: - (f) producer state after a crash

    @Test(.timeLimit(.minutes(1)), arguments: [1 << 20, 400])
    func uncleanStopRebuildsProducerState(segmentBytes: Int) async throws {
        let fixture = try PartitionLogFixture(config: smallSegments(segmentBytes: segmentBytes))
        var log = try fixture.open()
        var written: [TestBatch] = []
        for index in 0..<9 {
            written.append(try idempotent(index))
            written.append(try batches(1, prefix: "other\(index)")[0])
        }
        let bases = try await log.appendAllDurably(written)
        if segmentBytes < 1024 { #expect(try fixture.segments().count >= 6) }

        log = try fixture.open(cleanShutdown: false)
        #expect(log.bounds.logEndOffset == 36)
        // Each of the last five batches, retried, is acknowledged with its first offset.
        for index in 4..<9 {
            #expect(try log.append(written[index * 2]) == .duplicate(baseOffset: bases[index * 2]), "batch \(index)")
        }
        // Older ones are out of the window, and so out of sequence.
        guard case .rejected(let old) = try log.append(written[6]) else {
            Issue.record("a batch older than the window was accepted")
            return
        }
        #expect(old.code == .outOfOrderSequenceNumber)
        guard case .rejected(let fenced) = try log.append(try idempotent(9, epoch: 1)) else {
            Issue.record("an older epoch was accepted")
            return
        }
        #expect(fenced.code == .invalidProducerEpoch)
        #expect(log.bounds.logEndOffset == 36)
        #expect(try await log.appendDurably(try idempotent(9)) == 36)
    }

    /// A clean restart, more appends, then a crash: the snapshot written at the clean close is
    /// older than the log end and must not hide the later batches.
    @Test(.timeLimit(.minutes(1)), arguments: [1 << 20, 400])
    func crashAfterACleanRestartKeepsLaterProducerBatches(segmentBytes: Int) async throws {
        let fixture = try PartitionLogFixture(config: smallSegments(segmentBytes: segmentBytes))
        var log = try fixture.open()
        var bases: [Int64] = []
        for index in 0..<3 { bases.append(try await log.appendDurably(try idempotent(index))) }
        try log.close()
        log = try fixture.open(cleanShutdown: true)
        for index in 3..<6 { bases.append(try await log.appendDurably(try idempotent(index))) }

        log = try fixture.open(cleanShutdown: false)
        #expect(log.bounds.logEndOffset == 12)
        for index in 1..<6 {
            #expect(try log.append(try idempotent(index)) == .duplicate(baseOffset: bases[index]), "batch \(index)")
        }
        #expect(try await log.appendDurably(try idempotent(6)) == 12)
    }

    // MARK: - Damage to the fields the CRC does not cover

    /// The base offset is not covered by the CRC. A first batch whose offset lies below its
    /// segment's base is corrupt; recovery must cut it, not trap.
    @Test(.timeLimit(.minutes(1)))
    func firstBatchBelowItsSegmentBaseIsTreatedAsCorrupt() async throws {
        let fixture = try PartitionLogFixture(config: smallSegments())
        var log = try fixture.open()
        let written = try batches(10)
        try await log.appendAllDurably(written)
        let active = try #require(try fixture.segments().last)
        #expect(active.baseOffset == 14)
        // The lowest byte of the first batch's base offset: 14 (0x0E) becomes 6.
        try overwrite(active.path, at: 7, with: 0x06)

        log = try fixture.open(cleanShutdown: false)
        #expect(log.bounds.logEndOffset == 14)
        #expect(try log.readAll().map(TestRecord.of) == written.prefix(7).map(\.records))
        #expect(try await log.appendDurably(TestBatch(count: 1)) == 14)
    }

    /// A flipped high bit of a later batch's base offset moves it 2^32 offsets ahead, beyond
    /// what the segment's 32-bit relative offsets can hold; recovery must cut it, not trap.
    @Test(.timeLimit(.minutes(1)))
    func batchOffsetBeyondTheSegmentsRangeIsTreatedAsCorrupt() async throws {
        let fixture = try PartitionLogFixture()
        var log = try fixture.open()
        let written = try batches(6)
        try await log.appendAllDurably(written)
        let segment = try #require(try fixture.segments().first)
        let last = try #require(segment.batches.last)
        try FileDamage.flipByte(segment.path, at: last.position + 3)  // + 0xFF << 32

        log = try fixture.open(cleanShutdown: false)
        #expect(log.bounds.logEndOffset == last.header.baseOffset)
        #expect(try log.readAll().map(TestRecord.of) == written.dropLast().map(\.records))
    }

    private func overwrite(_ path: String, at position: Int, with byte: UInt8) throws {
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        try handle.seek(toOffset: UInt64(position))
        try handle.write(contentsOf: Data([byte]))
    }
}
