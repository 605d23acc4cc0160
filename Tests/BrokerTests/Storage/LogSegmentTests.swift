import Foundation
@testable import Broker
import KafkaProtocol
import NIOCore
import TestSupport
import Testing

@Suite struct LogSegmentTests {
    /// Batches of equal size (the same shape, different timestamps).
    private func uniformBatches(_ count: Int, records: Int = 2) throws -> [TestBatch] {
        try (0..<count).map { try TestBatch(count: records, baseTimestamp: 10_000 + Int64($0) * 100, timestampStep: 1) }
    }

    /// Appends `batches` from `baseOffset` on; returns each batch's assigned base offset.
    @discardableResult
    private func append(
        _ batches: [TestBatch], to segment: inout LogSegment, indexInterval: Int, now: Int64 = 77
    ) throws -> [Int64] {
        var next = segment.nextOffset
        return try batches.map { batch in
            let base = next
            try segment.append(batch.buffer, header: batch.header, baseOffset: base, indexInterval: indexInterval, now: now)
            next += batch.recordCount
            return base
        }
    }

    @Test func fileNamesAreTwentyDigitOffsets() {
        #expect(LogSegment.fileName(0, "log") == "00000000000000000000.log")
        #expect(LogSegment.fileName(1234, "index") == "00000000000000001234.index")
        #expect(LogSegment.fileName(Int64.max, "timeindex") == "09223372036854775807.timeindex")
    }

    @Test func createMakesAnEmptyFile() throws {
        let directory = try TemporaryDirectory()
        let segment = try LogSegment.create(directory: directory.path, baseOffset: 100)
        #expect(segment.size == 0)
        #expect(segment.nextOffset == 100)
        #expect(segment.maxTimestamp == -1)
        #expect(segment.firstAppendMs == nil)
        #expect(segment.logPath == directory.child("00000000000000000100.log"))
        #expect(try FileDamage.size(segment.logPath) == 0)
    }

    /// The base offset and partition leader epoch are the broker's; every other byte is the client's.
    @Test func appendRewritesOnlyTheBrokerOwnedFields() throws {
        let directory = try TemporaryDirectory()
        var segment = try LogSegment.create(directory: directory.path, baseOffset: 100)
        let batches = [
            try TestBatch([TestRecord(key: "a", value: "1")], baseTimestamp: 5_000),
            try TestBatch(
                [TestRecord(key: "b", value: "2"), TestRecord(key: nil, value: "3", timestampDelta: 20), TestRecord(key: "d", value: nil, timestampDelta: 5)],
                baseTimestamp: 5_010
            ),
            try TestBatch([TestRecord(key: "e", value: "5"), TestRecord(key: "f", value: "6")], baseTimestamp: 4_000),
        ]
        let bases = try append(batches, to: &segment, indexInterval: 0, now: 77)
        #expect(bases == [100, 101, 104])

        let stored = try #require(try StoredSegment.all(in: directory.path).first)
        let sizes = batches.map(\.size)
        #expect(stored.batches.map(\.position) == [0, sizes[0], sizes[0] + sizes[1]])
        #expect(stored.size == sizes.reduce(0, +))
        for (batch, (written, base)) in zip(stored.batches, zip(batches, bases)) {
            #expect(batch.header.baseOffset == base)
            #expect(batch.header.partitionLeaderEpoch == 0)
            #expect(written.header.baseOffset == 4_242 && written.header.partitionLeaderEpoch == 7)
            let storedBytes = Array(batch.bytes.readableBytesView)
            let clientBytes = Array(written.buffer.readableBytesView)
            #expect(storedBytes.count == clientBytes.count)
            #expect(storedBytes[8..<12] == clientBytes[8..<12])
            #expect(storedBytes[16...] == clientBytes[16...])
            // The CRC still holds, and the records are what was written.
            let header = try RecordBatchValidator.validate(batch.bytes, produceVersion: 9, maxBatchBytes: .max).get()
            #expect(header.crc == written.header.crc)
            var bytes = batch.bytes
            #expect(TestRecord.of(try RecordBatch.decode(from: &bytes)) == written.records)
        }

        #expect(segment.size == stored.size)
        #expect(segment.nextOffset == 106)
        #expect(segment.maxTimestamp == 5_030)
        #expect(segment.firstAppendMs == 77)
        #expect(segment.offsetIndex.entries == [
            .init(relativeOffset: 0, position: 0),
            .init(relativeOffset: 1, position: UInt32(sizes[0])),
            .init(relativeOffset: 4, position: UInt32(sizes[0] + sizes[1])),
        ])
        // The third batch's timestamps are older: it raises no new maximum.
        #expect(segment.timeIndex.entries == [.init(timestamp: 5_000, relativeOffset: 0), .init(timestamp: 5_030, relativeOffset: 1)])
    }

    /// An entry is added before a batch once `index.interval.bytes` were written since the last one.
    @Test(arguments: [(0, 0, 1), (1, 0, 1), (2, 0, 2), (2, 1, 3), (3, 0, 3), (1000, 0, 1000)])
    func indexIntervalSpacesEntries(multiple: Int, extra: Int, stride: Int) throws {
        let directory = try TemporaryDirectory()
        let batches = try uniformBatches(10)
        let size = batches[0].size
        #expect(batches.allSatisfy { $0.size == size })
        var segment = try LogSegment.create(directory: directory.path, baseOffset: 0)
        try append(batches, to: &segment, indexInterval: multiple * size + extra)
        let expected = Swift.stride(from: 0, to: 10, by: stride).map {
            OffsetIndex.Entry(relativeOffset: UInt32($0 * 2), position: UInt32($0 * size))
        }
        #expect(segment.offsetIndex.entries == expected)
    }

    /// Lookups start at a batch boundary at or before the batch holding the offset, and with
    /// an entry per batch exactly at it.
    @Test(arguments: [0, 150, 1 << 20])
    func startPositionLeadsToTheContainingBatch(indexInterval: Int) throws {
        let directory = try TemporaryDirectory()
        var segment = try LogSegment.create(directory: directory.path, baseOffset: 1_000)
        let batches = try (0..<8).map { try TestBatch(count: $0 % 3 + 1, prefix: "p\($0)") }
        try append(batches, to: &segment, indexInterval: indexInterval)
        let stored = try #require(try StoredSegment.all(in: directory.path).first)
        let boundaries = Set(stored.batches.map(\.position))

        #expect(segment.startPosition(for: 0) == 0)
        #expect(segment.startPosition(for: 999) == 0)
        #expect(segment.startPosition(for: 1_000) == 0)
        for batch in stored.batches {
            for offset in batch.header.baseOffset...batch.header.lastOffset {
                let start = segment.startPosition(for: offset)
                #expect(boundaries.contains(start), "offset \(offset)")
                #expect(start <= batch.position, "offset \(offset)")
                if indexInterval == 0 { #expect(start == batch.position, "offset \(offset)") }
                if indexInterval > stored.size { #expect(start == 0) }
                // The scanner finds the batch from there.
                let found = try BatchScanner(file: segment.file, validatesChecksums: true)
                    .firstBatch(containingOrAfter: offset, from: start, to: segment.size)
                #expect(found?.position == batch.position, "offset \(offset)")
            }
        }
        let pastTheEnd = segment.startPosition(for: segment.nextOffset + 100)
        #expect(pastTheEnd == Int(segment.offsetIndex.entries.last!.position))
        #expect(try BatchScanner(file: segment.file, validatesChecksums: false)
            .firstBatch(containingOrAfter: segment.nextOffset, from: pastTheEnd, to: segment.size) == nil)
    }

    @Test func needsRollOnSizeAndAge() throws {
        let directory = try TemporaryDirectory()
        var config = TopicConfig()
        config.segmentBytes = 500
        config.segmentMs = 1_000
        var segment = try LogSegment.create(directory: directory.path, baseOffset: 0)
        // An empty segment takes any batch, however large or late.
        #expect(!segment.needsRoll(batchSize: 10_000, lastOffset: 0, config: config, now: 1_000_000))
        let batch = try TestBatch(count: 1)
        try append([batch], to: &segment, indexInterval: 0, now: 10_000)
        #expect(!segment.needsRoll(batchSize: 500 - batch.size, lastOffset: 1, config: config, now: 10_999))
        #expect(segment.needsRoll(batchSize: 501 - batch.size, lastOffset: 1, config: config, now: 10_999))
        #expect(segment.needsRoll(batchSize: 1, lastOffset: 1, config: config, now: 11_000))
        // Relative offsets must fit the index's 32 bits.
        #expect(segment.needsRoll(batchSize: 1, lastOffset: Int64(UInt32.max) + 1, config: config, now: 10_000))
        #expect(!segment.needsRoll(batchSize: 1, lastOffset: Int64(UInt32.max), config: config, now: 10_000))
    }

    private func expectSameBookkeeping(_ loaded: LogSegment, _ original: LogSegment) {
        #expect(loaded.baseOffset == original.baseOffset)
        #expect(loaded.size == original.size)
        #expect(loaded.nextOffset == original.nextOffset)
        #expect(loaded.maxTimestamp == original.maxTimestamp)
        #expect(loaded.offsetIndex.entries == original.offsetIndex.entries)
        #expect(loaded.timeIndex.entries == original.timeIndex.entries)
    }

    @Test(arguments: [0, 200, 1 << 20])
    func savedIndexesAreTrustedAfterACleanShutdown(indexInterval: Int) throws {
        let directory = try TemporaryDirectory()
        var segment = try LogSegment.create(directory: directory.path, baseOffset: 50)
        try append(try uniformBatches(9), to: &segment, indexInterval: indexInterval)
        // As a clean close leaves it: cut to its batches, indexes saved.
        try segment.trimAllocation()
        try segment.saveIndexes()
        #expect(try FileDamage.size(segment.indexPath) == segment.offsetIndex.entries.count * OffsetIndex.entrySize)
        #expect(try FileDamage.size(segment.timeIndexPath) == segment.timeIndex.entries.count * TimeIndex.entrySize)

        let recovery = try LogSegment.load(
            directory: directory.path, baseOffset: 50, indexInterval: indexInterval, trustIndexes: true, fullScan: false
        )
        expectSameBookkeeping(recovery.segment, segment)
        #expect(recovery.truncatedBytes == 0)
        // Only the batches from the last index entry on are read.
        let lastEntry = try #require(segment.offsetIndex.entries.last)
        #expect(recovery.walked.first?.baseOffset == 50 + Int64(lastEntry.relativeOffset))
        #expect(recovery.walked.last?.nextOffset == 68)
    }

    /// A segment of three batches appended at 5_000, 5_500 and 5_900, saved and loaded again.
    private func reloadedAgingSegment(trustIndexes: Bool) throws -> (LogSegment, TemporaryDirectory) {
        let directory = try TemporaryDirectory()
        var segment = try LogSegment.create(directory: directory.path, baseOffset: 0)
        for timestamp in [Int64(5_000), 5_500, 5_900] {
            try append([try TestBatch(count: 1, baseTimestamp: timestamp)], to: &segment, indexInterval: 0, now: timestamp)
        }
        try segment.saveIndexes()
        let loaded = try LogSegment.load(
            directory: directory.path, baseOffset: 0, indexInterval: 0, trustIndexes: trustIndexes, fullScan: !trustIndexes
        ).segment
        return (loaded, directory)
    }

    private var oneSecondSegments: TopicConfig {
        var config = TopicConfig()
        config.segmentMs = 1_000
        return config
    }

    /// After a crash a segment's age (for segment.ms) counts from its first batch.
    @Test func rebuiltSegmentAgesFromItsFirstBatch() throws {
        let (loaded, _) = try reloadedAgingSegment(trustIndexes: false)
        #expect(loaded.firstAppendMs == 5_000)
        #expect(loaded.needsRoll(batchSize: 1, lastOffset: 3, config: oneSecondSegments, now: 6_000))
    }

    /// After a clean shutdown too: trusting the indexes must not make the segment younger.
    @Test
    func trustedSegmentAgesFromItsFirstBatch() throws {
        let (loaded, _) = try reloadedAgingSegment(trustIndexes: true)
        #expect(loaded.firstAppendMs == 5_000)
        #expect(loaded.needsRoll(batchSize: 1, lastOffset: 3, config: oneSecondSegments, now: 6_000))
    }

    @Test(arguments: [0, 200, 1 << 20])
    func fullScanRebuildsTheSameIndexes(indexInterval: Int) throws {
        let directory = try TemporaryDirectory()
        var segment = try LogSegment.create(directory: directory.path, baseOffset: 0)
        let bases = try append(try uniformBatches(9), to: &segment, indexInterval: indexInterval)
        let recovery = try LogSegment.load(
            directory: directory.path, baseOffset: 0, indexInterval: indexInterval, trustIndexes: false, fullScan: true
        )
        expectSameBookkeeping(recovery.segment, segment)
        #expect(recovery.truncatedBytes == 0)
        #expect(recovery.walked.map(\.baseOffset) == bases)
    }

    @Test func missingOrDamagedIndexFilesAreRebuilt() throws {
        let directory = try TemporaryDirectory()
        var segment = try LogSegment.create(directory: directory.path, baseOffset: 0)
        try append(try uniformBatches(6), to: &segment, indexInterval: 0)

        // No index files at all (a crash before the segment was ever closed).
        var recovery = try LogSegment.load(directory: directory.path, baseOffset: 0, indexInterval: 0, trustIndexes: false, fullScan: false)
        expectSameBookkeeping(recovery.segment, segment)
        #expect(recovery.walked.count == 6)

        // An index file that is not a whole number of entries.
        try segment.saveIndexes()
        try FileDamage.append([1, 2, 3], to: segment.indexPath)
        recovery = try LogSegment.load(directory: directory.path, baseOffset: 0, indexInterval: 0, trustIndexes: false, fullScan: false)
        expectSameBookkeeping(recovery.segment, segment)
        #expect(recovery.walked.count == 6)

        // A time index whose timestamps go backwards.
        try segment.saveIndexes()
        let bad = TimeIndex(entries: [.init(timestamp: 9, relativeOffset: 0), .init(timestamp: 3, relativeOffset: 2)])
        try Data(bad.encoded().readableBytesView).write(to: URL(fileURLWithPath: segment.timeIndexPath))
        recovery = try LogSegment.load(directory: directory.path, baseOffset: 0, indexInterval: 0, trustIndexes: false, fullScan: false)
        expectSameBookkeeping(recovery.segment, segment)
        #expect(recovery.walked.count == 6)
    }

    /// The saved index points at the last batch, which a crash tore: the segment is rebuilt
    /// from the start and cut after the last whole batch.
    @Test func tornBatchAtTheLastIndexEntryIsCut() throws {
        let directory = try TemporaryDirectory()
        var segment = try LogSegment.create(directory: directory.path, baseOffset: 0)
        let batches = try uniformBatches(5)
        try append(batches, to: &segment, indexInterval: 0)
        try segment.saveIndexes()
        let keep = 4 * batches[0].size
        // The torn batch's zero bytes count as allocated space, so the damage ends at its last other one.
        let torn = try FileDamage.read(segment.logPath)[keep..<keep + 30]
        let damaged = try #require(torn.lastIndex { $0 != 0 }) + 1 - keep
        try FileDamage.truncate(segment.logPath, to: keep + 30)

        let recovery = try LogSegment.load(directory: directory.path, baseOffset: 0, indexInterval: 0, trustIndexes: false, fullScan: false)
        #expect(recovery.truncatedBytes == damaged)
        #expect(recovery.segment.size == keep)
        #expect(recovery.segment.nextOffset == 8)
        #expect(recovery.segment.offsetIndex.entries == Array(segment.offsetIndex.entries.prefix(4)))
        #expect(recovery.segment.timeIndex.entries == Array(segment.timeIndex.entries.prefix(4)))
        #expect(recovery.segment.maxTimestamp == segment.timeIndex.entries[3].timestamp)
        #expect(try FileDamage.size(segment.logPath) == keep)
    }

    @Test func corruptBatchAfterTheLastIndexEntryIsCut() throws {
        let directory = try TemporaryDirectory()
        var segment = try LogSegment.create(directory: directory.path, baseOffset: 0)
        let batches = try uniformBatches(6)
        try append(batches, to: &segment, indexInterval: 3 * batches[0].size)  // entries at batches 0 and 3
        // A closed segment (only those are loaded without a full scan): cut to its batches.
        try segment.trimAllocation()
        try segment.saveIndexes()
        #expect(segment.offsetIndex.entries.map(\.relativeOffset) == [0, 6])
        let size = batches[0].size
        try FileDamage.flipByte(segment.logPath, at: 4 * size + RecordBatchHeader.size + 3)  // inside batch 4's records

        let recovery = try LogSegment.load(
            directory: directory.path, baseOffset: 0, indexInterval: 3 * size, trustIndexes: false, fullScan: false
        )
        #expect(recovery.truncatedBytes == 2 * size)
        #expect(recovery.segment.size == 4 * size)
        #expect(recovery.segment.nextOffset == 8)
        #expect(recovery.walked.map(\.baseOffset) == [6])
        #expect(recovery.segment.offsetIndex.entries.map(\.relativeOffset) == [0, 6])
    }

    /// The scanner reads the file in chunks; batches that straddle chunks, or are larger than
    /// one, are found all the same, with their checksums verified.
    @Test(arguments: [RecordBatchHeader.size, 100, 143, 150, 1000, 1 << 20])
    func scannerWalksAcrossChunkBoundaries(chunkSize: Int) throws {
        let directory = try TemporaryDirectory()
        var segment = try LogSegment.create(directory: directory.path, baseOffset: 0)
        let batches = try (0..<12).map { try TestBatch(count: $0 % 3 + 1, prefix: "c\($0)", valueLength: 10 + $0 * 7) }
        let bases = try append(batches, to: &segment, indexInterval: 0)
        var scanner = BatchScanner(file: segment.file, validatesChecksums: true)
        scanner.chunkSize = chunkSize
        var found: [(Int64, Int)] = []
        let end = try scanner.walk(from: 0, to: segment.size) { batch in
            found.append((batch.header.baseOffset, batch.position))
            return true
        }
        #expect(end == segment.size)
        #expect(found.map(\.0) == bases)
        #expect(found.map(\.1) == segment.offsetIndex.entries.map { Int($0.position) })
        // Stopping early returns the position of the batch that declined.
        let stop = try scanner.walk(from: 0, to: segment.size) { $0.header.baseOffset < bases[5] }
        #expect(stop == found[5].1)
    }

    @Test func deleteRemovesTheSegmentsFiles() throws {
        let directory = try TemporaryDirectory()
        var segment = try LogSegment.create(directory: directory.path, baseOffset: 7)
        try append(try uniformBatches(2), to: &segment, indexInterval: 0)
        try segment.saveIndexes()
        #expect(try StoredSegment.files(in: directory.path, suffix: "").count == 3)
        segment.deleteIndexes()
        #expect(try StoredSegment.files(in: directory.path, suffix: "") == ["00000000000000000007.log"])
        segment.delete()
        #expect(try StoredSegment.files(in: directory.path, suffix: "").isEmpty)
    }
}
