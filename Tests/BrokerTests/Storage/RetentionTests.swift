import Foundation
@testable import Broker
import KafkaProtocol
import NIOCore
import Testing

@Suite struct RetentionTests {
    /// Batches of two records and equal size; seven fill a 1 KiB segment.
    private func batches(_ count: Int, baseTimestamp: Int64 = 1_000_000, from first: Int = 0) throws -> [TestBatch] {
        try (first..<first + count).map {
            try TestBatch(count: 2, prefix: "x\($0 % 10)", valueLength: 30, baseTimestamp: baseTimestamp + Int64($0))
        }
    }

    // MARK: - By size

    @Test(.timeLimit(.minutes(1)), arguments: [Int64(0), 1, 1500, 2048, 2500, 1 << 20])
    func retentionBytesDeletesWholeOldestSegments(retentionBytes: Int64) async throws {
        let fixture = try PartitionLogFixture(config: smallSegments(retentionBytes: retentionBytes))
        let log = try fixture.open()
        let written = try batches(40)
        let bases = try await log.appendAllDurably(written)
        let before = try fixture.segments()
        #expect(before.count == 6)

        // Kafka's rule: drop the oldest closed segment while what remains still reaches the limit.
        var expected = before
        var total = before.reduce(0) { $0 + $1.size }
        while expected.count > 1, total - expected[0].size >= Int(retentionBytes) {
            total -= expected[0].size
            expected.removeFirst()
        }
        try log.enforceRetention(now: 1_000_100)

        let after = try fixture.segments()
        #expect(after.map(\.baseOffset) == expected.map(\.baseOffset))
        #expect(log.sizeInBytes == total)
        let start = expected[0].baseOffset
        #expect(log.bounds == .init(logStartOffset: start, highWatermark: 80, logEndOffset: 80))
        if start > 0 {
            #expect(try log.isOutOfRange(start - 1))
            #expect(try log.isOutOfRange(0))
        }
        #expect(try log.readAll(from: start).map(\.header.baseOffset) == bases.filter { $0 >= start })
        // Nothing else is deleted by a second pass.
        try log.enforceRetention(now: 1_000_100)
        #expect(try fixture.segments().map(\.baseOffset) == expected.map(\.baseOffset))
    }

    @Test(.timeLimit(.minutes(1)))
    func noSizeLimitKeepsEverything() async throws {
        let fixture = try PartitionLogFixture(config: smallSegments(retentionBytes: -1))
        let log = try fixture.open()
        try await log.appendAllDurably(try batches(40))
        try log.enforceRetention(now: 1_000_100)
        #expect(try fixture.segments().count == 6)
        #expect(log.bounds.logStartOffset == 0)
    }

    // MARK: - By time

    @Test(.timeLimit(.minutes(1)))
    func retentionMsDeletesSegmentsWhoseNewestRecordExpired() async throws {
        let fixture = try PartitionLogFixture(config: smallSegments(retentionMs: 10_000))
        let log = try fixture.open()
        // 17 old batches (two full segments and three batches of the third), then new ones.
        let old = try batches(17, baseTimestamp: 1_000)
        let new = try batches(20, baseTimestamp: 500_000, from: 17)
        let bases = try await log.appendAllDurably(old + new)
        let before = try fixture.segments()
        #expect(before.count == 6)
        #expect(before[2].batches.count == 7)

        // Not yet expired: the first segment's newest record (1_006) must be older than retention.ms.
        try log.enforceRetention(now: 1_006 + 10_000)
        #expect(try fixture.segments().count == 6)

        try log.enforceRetention(now: 400_000)
        let after = try fixture.segments()
        // The third segment also holds new records, so it stays, and so does everything after it.
        #expect(after.map(\.baseOffset) == before.dropFirst(2).map(\.baseOffset))
        #expect(log.bounds.logStartOffset == 28)
        #expect(try log.isOutOfRange(27))
        #expect(try log.readAll(from: 28).map(\.header.baseOffset) == bases.filter { $0 >= 28 })
    }

    /// Each segment's newest timestamp is recovered at a restart, clean or not, so the same
    /// segments expire.
    @Test(.timeLimit(.minutes(1)), arguments: [true, false], [0, 4096])
    func retentionMsAfterARestart(cleanShutdown: Bool, indexInterval: Int) async throws {
        let fixture = try PartitionLogFixture(config: smallSegments(indexIntervalBytes: indexInterval, retentionMs: 10_000))
        var log = try fixture.open()
        try await log.appendAllDurably(try batches(17, baseTimestamp: 1_000) + batches(20, baseTimestamp: 500_000, from: 17))
        if cleanShutdown { try log.close() }
        log = try fixture.open(cleanShutdown: cleanShutdown)
        try log.enforceRetention(now: 1_006 + 10_000)
        #expect(try fixture.segments().count == 6)
        try log.enforceRetention(now: 400_000)
        #expect(try fixture.segments().count == 4)
        #expect(log.bounds.logStartOffset == 28)
        // Everything expired: the closed segments go and the active one is rolled.
        try log.enforceRetention(now: 500_036 + 10_001)
        #expect(try fixture.segments().map(\.baseOffset) == [70, 74])
        #expect(log.bounds.logStartOffset == 70)
    }

    @Test(.timeLimit(.minutes(1)))
    func segmentsWithoutTimestampsOrWithInfiniteRetentionStay() async throws {
        let fixture = try PartitionLogFixture(config: smallSegments(retentionMs: -1))
        var log = try fixture.open()
        try await log.appendAllDurably(try batches(20, baseTimestamp: 1_000))
        try log.enforceRetention(now: .max / 2)
        #expect(try fixture.segments().count == 3)

        // Records without a timestamp (-1) never expire by time.
        let untimed = try PartitionLogFixture(config: smallSegments(retentionMs: 1))
        log = try untimed.open()
        try await log.appendAllDurably(try batches(20, baseTimestamp: -1).map { batch in
            try TestBatch(batch.records.map { TestRecord(key: $0.key, value: $0.value) }, baseTimestamp: -1)
        })
        try log.enforceRetention(now: 1_000_000_000)
        #expect(try untimed.segments().count == 3)
        #expect(log.bounds.logStartOffset == 0)
    }

    // MARK: - The active segment

    /// The active segment is never deleted; once all of it expired it is rolled, and the
    /// next pass deletes it like any closed segment.
    @Test(.timeLimit(.minutes(1)))
    func fullyExpiredActiveSegmentIsRolledThenDeleted() async throws {
        let fixture = try PartitionLogFixture(config: smallSegments(segmentBytes: 1 << 20, retentionMs: 10_000))
        let log = try fixture.open()
        try await log.appendAllDurably(try batches(5, baseTimestamp: 1_000))
        let segment = try #require(try fixture.segments().first)

        try log.enforceRetention(now: 100_000)
        // Rolled, nothing deleted, everything still readable.
        #expect(try fixture.segments().map(\.baseOffset) == [0, 10])
        #expect(try fixture.segments().first?.size == segment.size)
        #expect(log.bounds == .init(logStartOffset: 0, highWatermark: 10, logEndOffset: 10))
        #expect(try log.readAll().count == 5)

        try log.enforceRetention(now: 100_000)
        #expect(try fixture.segments().map(\.baseOffset) == [10])
        #expect(log.bounds == .init(logStartOffset: 10, highWatermark: 10, logEndOffset: 10))
        #expect(try log.isOutOfRange(0))
        #expect(try log.isOutOfRange(9))
        #expect(try log.readRecords(from: 10).readableBytes == 0)

        // The now empty active segment stays, and takes the next append.
        try log.enforceRetention(now: 100_000)
        #expect(try fixture.segments().map(\.baseOffset) == [10])
        #expect(try await log.appendDurably(try batches(1, baseTimestamp: 100_000)[0]) == 10)
        #expect(try fixture.segments().map { $0.batches.count } == [1])

        // After a restart the log start is where retention left it.
        let reopened = try fixture.open(cleanShutdown: false)
        #expect(reopened.bounds == .init(logStartOffset: 10, highWatermark: 12, logEndOffset: 12))
    }

    @Test func activeSegmentIsNotRolledBeforeItIsDurable() throws {
        let fixture = try PartitionLogFixture(config: smallSegments(segmentBytes: 1 << 20, retentionMs: 10_000), startFlusher: false)
        let log = try fixture.open()
        for batch in try batches(3, baseTimestamp: 1_000) { try log.appendAccepted(batch) }
        try log.enforceRetention(now: 100_000)
        #expect(try fixture.segments().map(\.baseOffset) == [0])
        log.flush()
        try log.enforceRetention(now: 100_000)
        #expect(try fixture.segments().map(\.baseOffset) == [0, 6])
    }

    /// Like Kafka, retention only deletes segments whose records are all below the high
    /// watermark: records not yet fsynced were never visible, and the log start must not pass
    /// the high watermark.
    @Test
    func retentionNeverDeletesRecordsAboveTheHighWatermark() throws {
        let fixture = try PartitionLogFixture(config: smallSegments(retentionBytes: 0), startFlusher: false)
        let log = try fixture.open()
        let written = try batches(20)
        for batch in written.prefix(10) { try log.appendAccepted(batch) }
        log.flush()
        for batch in written.suffix(10) { try log.appendAccepted(batch) }
        #expect(try fixture.segments().map(\.baseOffset) == [0, 14, 28])
        #expect(log.bounds == .init(logStartOffset: 0, highWatermark: 20, logEndOffset: 40))

        try log.enforceRetention(now: 1_000_100)
        // The second segment (14..<28) holds records above the high watermark (20): it stays.
        #expect(try fixture.segments().map(\.baseOffset) == [14, 28])
        #expect(log.bounds == .init(logStartOffset: 14, highWatermark: 20, logEndOffset: 40))
        #expect(try log.readAll(from: 14).map(\.header.baseOffset) == [14, 16, 18])

        log.flush()
        try log.enforceRetention(now: 1_000_100)
        #expect(try fixture.segments().map(\.baseOffset) == [28])
        #expect(log.bounds == .init(logStartOffset: 28, highWatermark: 40, logEndOffset: 40))
    }

    @Test(.timeLimit(.minutes(1)))
    func activeSegmentIsNotDeletedBySize() async throws {
        let fixture = try PartitionLogFixture(config: smallSegments(segmentBytes: 1 << 20, retentionBytes: 0))
        let log = try fixture.open()
        try await log.appendAllDurably(try batches(5))
        try log.enforceRetention(now: 1_000_100)
        #expect(try fixture.segments().map(\.baseOffset) == [0])
        #expect(try log.readAll().count == 5)
    }

    @Test(.timeLimit(.minutes(1)))
    func compactedTopicsAreNotDeleted() async throws {
        var config = smallSegments(retentionMs: 1, retentionBytes: 0)
        config.cleanupPolicy = .compact
        let fixture = try PartitionLogFixture(config: config)
        let log = try fixture.open()
        try await log.appendAllDurably(try batches(20, baseTimestamp: 1_000))
        try log.enforceRetention(now: 1_000_000)
        #expect(try fixture.segments().count == 3)
        #expect(log.bounds.logStartOffset == 0)
    }

    @Test(.timeLimit(.minutes(1)))
    func retentionSurvivesARestart() async throws {
        let fixture = try PartitionLogFixture(config: smallSegments(retentionBytes: 2048))
        var log = try fixture.open()
        try await log.appendAllDurably(try batches(40))
        try log.enforceRetention(now: 1_000_100)
        let bounds = log.bounds
        #expect(bounds.logStartOffset > 0)
        log = try fixture.open(cleanShutdown: false)
        #expect(log.bounds == bounds)
        try log.close()
        log = try fixture.open(cleanShutdown: true)
        #expect(log.bounds == bounds)
        #expect(try log.isOutOfRange(bounds.logStartOffset - 1))
    }
}
