import Foundation
@testable import Broker
import KafkaProtocol
import NIOCore
import Synchronization
import TestSupport
import Testing

@Suite struct PartitionLogTests {
    /// 60 batches of 1 to 4 records with varied keys, values (some null) and timestamps.
    static func variedBatches(_ count: Int = 60) throws -> [TestBatch] {
        try (0..<count).map { index in
            let records = (0..<(index % 4 + 1)).map { record in
                TestRecord(
                    key: record == 2 ? nil : "key-\(index)-\(record)",
                    value: index % 7 == 3 && record == 0 ? nil : String(repeating: "v\(index)", count: (index * 7 + record) % 12 + 1),
                    timestampDelta: Int64(record * 5)
                )
            }
            return try TestBatch(records, baseTimestamp: 100_000 + Int64(index) * 100)
        }
    }

    /// The offsets each batch must get when appended in order to an empty log.
    static func expectedBases(_ batches: [TestBatch], from start: Int64 = 0) -> [Int64] {
        var next = start
        return batches.map { batch in
            defer { next += batch.recordCount }
            return next
        }
    }

    // MARK: - Appending and reading

    @Test(.timeLimit(.minutes(1)), arguments: [0, 250, 4096])
    func appendAndReadAcrossSegmentRolls(indexInterval: Int) async throws {
        let fixture = try PartitionLogFixture(config: smallSegments(indexIntervalBytes: indexInterval))
        let log = try fixture.open()
        let batches = try Self.variedBatches()
        let bases = try await log.appendAllDurably(batches)
        #expect(bases == Self.expectedBases(batches))
        let end = bases.last! + batches.last!.recordCount
        #expect(log.bounds == .init(logStartOffset: 0, highWatermark: end, logEndOffset: end))

        // The files: segments of at most segment.bytes, each named after its first offset,
        // together holding every batch back to back.
        let segments = try fixture.segments()
        #expect(segments.count >= 5)
        #expect(segments.allSatisfy { $0.size <= 1024 })
        // Rolled segments were cut to their batches; the active one is allocated ahead.
        #expect(segments.dropLast().allSatisfy { $0.fileSize == $0.size })
        #expect(segments.last.map { $0.fileSize > $0.size } == true)
        #expect(segments.map(\.baseOffset) == segments.map { $0.batches.first?.header.baseOffset ?? -1 })
        #expect(zip(segments, segments.dropFirst()).allSatisfy { $0.nextOffset == $1.baseOffset })
        #expect(segments.flatMap(\.batches).map(\.header.baseOffset) == bases)
        #expect(log.sizeInBytes == segments.reduce(0) { $0 + $1.size })

        let batchFor = { (offset: Int64) -> Int in bases.lastIndex { $0 <= offset }! }
        for offset in 0..<end {
            let index = batchFor(offset)
            // One byte is too little for anything, so exactly the containing batch comes back.
            let single = try validatedBatches(try log.readRecords(from: offset, maxBytes: 1))
            #expect(single.count == 1, "offset \(offset)")
            let header = try #require(single.first?.header)
            #expect(header.baseOffset == bases[index] && header.lastOffset >= offset, "offset \(offset)")
            #expect(header.partitionLeaderEpoch == 0)
            #expect(header.crc == batches[index].header.crc)
            var bytes = try #require(single.first?.bytes)
            #expect(TestRecord.of(try RecordBatch.decode(from: &bytes)) == batches[index].records, "offset \(offset)")

            // A large read returns the rest of that segment, byte for byte as stored.
            let segment = try #require(segments.last { $0.baseOffset <= offset })
            let stored = try #require(segment.batches.first { $0.header.baseOffset == bases[index] })
            let rest = try log.readRecords(from: offset, maxBytes: 1 << 20)
            let onDisk = try FileDamage.read(segment.path)[stored.position..<segment.size]
            #expect(Array(rest.readableBytesView) == Array(onDisk), "offset \(offset)")
        }

        // The whole log, read as a consumer does, is what was written, densely numbered.
        let all = try log.readAll()
        #expect(all.map(\.header.baseOffset) == bases)
        #expect(all.map(TestRecord.of) == batches.map(\.records))
        #expect(all.allSatisfy { $0.header.partitionLeaderEpoch == 0 })

        // At the high watermark a fetch waits (empty); beyond it the offset is out of range.
        guard case .records(let atEnd) = try log.read(from: end, maxBytes: 1 << 20) else {
            Issue.record("read at the high watermark was out of range")
            return
        }
        #expect(atEnd.records.readableBytes == 0)
        #expect(atEnd.bounds.highWatermark == end)
        #expect(try log.isOutOfRange(end + 1))
        #expect(try log.isOutOfRange(-1))
    }

    /// The offsets at the edges of segments and inside multi-record batches.
    @Test(.timeLimit(.minutes(1)), arguments: [0, 1 << 20])
    func lookupsAtSegmentEdges(indexInterval: Int) async throws {
        let fixture = try PartitionLogFixture(config: smallSegments(segmentBytes: 600, indexIntervalBytes: indexInterval))
        let log = try fixture.open()
        let batches = try (0..<30).map { try TestBatch(count: 3, prefix: "edge\($0)", valueLength: 20) }
        try await log.appendAllDurably(batches)
        let segments = try fixture.segments()
        #expect(segments.count >= 4)

        func batchRead(_ offset: Int64) throws -> RecordBatchHeader {
            let read = try validatedBatches(try log.readRecords(from: offset, maxBytes: 1))
            #expect(read.count == 1)
            return try #require(read.first?.header)
        }
        for segment in segments {
            let first = try #require(segment.batches.first?.header)
            let last = try #require(segment.batches.last?.header)
            // Exactly at the segment base, and its first offset.
            #expect(try batchRead(segment.baseOffset) == first)
            // The last offset of the segment is in its last batch; one more is the next segment's base.
            #expect(try batchRead(segment.nextOffset - 1) == last)
            #expect(try batchRead(last.baseOffset + 1).baseOffset == last.baseOffset)
            // Inside every multi-record batch.
            for stored in segment.batches {
                for offset in stored.header.baseOffset...stored.header.lastOffset {
                    #expect(try batchRead(offset).baseOffset == stored.header.baseOffset, "offset \(offset)")
                }
            }
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func maxBytesIsRespectedButOneBatchAlwaysComes() async throws {
        let fixture = try PartitionLogFixture()
        let log = try fixture.open()
        let batches = try (0..<5).map { try TestBatch(count: 2, prefix: "m\($0)", valueLength: 30) }
        try await log.appendAllDurably(batches)
        let size = batches[0].size

        func count(from offset: Int64, maxBytes: Int) throws -> (batches: Int, bytes: Int) {
            let records = try log.readRecords(from: offset, maxBytes: maxBytes)
            return (try validatedBatches(records).count, records.readableBytes)
        }
        #expect(try count(from: 0, maxBytes: 0) == (1, size))
        #expect(try count(from: 0, maxBytes: 1) == (1, size))
        #expect(try count(from: 0, maxBytes: size) == (1, size))
        #expect(try count(from: 0, maxBytes: 2 * size - 1) == (1, size))
        #expect(try count(from: 0, maxBytes: 2 * size) == (2, 2 * size))
        #expect(try count(from: 1, maxBytes: 3 * size + 5) == (3, 3 * size))
        #expect(try count(from: 4, maxBytes: 1 << 20) == (3, 3 * size))
        #expect(try count(from: 9, maxBytes: 1 << 20) == (1, size))
    }

    /// The high watermark is the durable end: reads stop there even though more is written.
    @Test func readsNeverPassTheHighWatermark() throws {
        let fixture = try PartitionLogFixture(startFlusher: false)
        let log = try fixture.open()
        let batches = try (0..<5).map { try TestBatch(count: 2, prefix: "h\($0)") }
        for batch in batches.prefix(3) { try log.appendAccepted(batch) }
        #expect(log.bounds == .init(logStartOffset: 0, highWatermark: 0, logEndOffset: 6))
        #expect(try log.readRecords(from: 0).readableBytes == 0)
        #expect(try log.isOutOfRange(1))

        log.flush()  // what a flusher thread does after its fsync
        for batch in batches.suffix(2) { try log.appendAccepted(batch) }
        #expect(log.bounds == .init(logStartOffset: 0, highWatermark: 6, logEndOffset: 10))
        let visible = try decodeBatches(try log.readRecords(from: 0))
        #expect(visible.map(\.header.baseOffset) == [0, 2, 4])
        #expect(visible.map(TestRecord.of) == batches.prefix(3).map(\.records))
        #expect(try log.readRecords(from: 6).readableBytes == 0)
        #expect(try log.isOutOfRange(7))
        #expect(try log.isOutOfRange(9))

        log.flush()
        #expect(log.bounds == .init(logStartOffset: 0, highWatermark: 10, logEndOffset: 10))
        #expect(try log.readAll().map(\.header.baseOffset) == [0, 2, 4, 6, 8])
    }

    @Test func segmentsRollByAge() throws {
        var config = TopicConfig()
        config.segmentMs = 1_000
        let fixture = try PartitionLogFixture(config: config, startFlusher: false)
        let log = try fixture.open()
        try log.appendAccepted(TestBatch(count: 1), now: 5_000)
        try log.appendAccepted(TestBatch(count: 1), now: 5_999)
        #expect(try fixture.segments().map(\.baseOffset) == [0])
        try log.appendAccepted(TestBatch(count: 1), now: 6_000)
        try log.appendAccepted(TestBatch(count: 1), now: 6_500)
        #expect(try fixture.segments().map(\.baseOffset) == [0, 2])
        #expect(try fixture.segments().map { $0.batches.count } == [2, 2])
        // The rolled segment's indexes and a producer snapshot at the roll were written.
        #expect(try StoredSegment.files(in: fixture.directory, suffix: ".index") == [LogSegment.fileName(0, "index")])
        #expect(ProducerSnapshots.offsets(directory: fixture.directory) == [2])
    }

    @Test func idempotentRetryIsNotAppendedTwice() throws {
        let fixture = try PartitionLogFixture(startFlusher: false)
        let log = try fixture.open()
        try log.appendAccepted(TestBatch(count: 1, prefix: "plain"))
        let first = try TestBatch(count: 3, producerId: 9, producerEpoch: 0, baseSequence: 0)
        let second = try TestBatch(count: 2, producerId: 9, producerEpoch: 0, baseSequence: 3)
        #expect(try log.append(first) == .appended(baseOffset: 1))
        #expect(try log.append(second) == .appended(baseOffset: 4))
        #expect(try log.append(first) == .duplicate(baseOffset: 1))
        #expect(try log.append(second) == .duplicate(baseOffset: 4))
        let gap = try TestBatch(count: 1, producerId: 9, producerEpoch: 0, baseSequence: 9)
        guard case .rejected(let rejection) = try log.append(gap) else {
            Issue.record("a sequence gap was accepted")
            return
        }
        #expect(rejection.code == .outOfOrderSequenceNumber)
        // A new epoch starts over at sequence 0 and fences the old one.
        #expect(try log.append(TestBatch(count: 1, producerId: 9, producerEpoch: 1, baseSequence: 0)) == .appended(baseOffset: 6))
        guard case .rejected(let fenced) = try log.append(TestBatch(count: 1, producerId: 9, producerEpoch: 0, baseSequence: 5)) else {
            Issue.record("an old epoch was accepted")
            return
        }
        #expect(fenced.code == .invalidProducerEpoch)
        #expect(log.bounds.logEndOffset == 7)
        #expect(try StoredSegment.all(in: fixture.directory).flatMap(\.batches).map(\.header.baseOffset) == [0, 1, 4, 6])
    }

    @Test func appendAfterCloseFails() throws {
        let fixture = try PartitionLogFixture()
        let log = try fixture.open()
        try log.appendAccepted(TestBatch(count: 1))
        try log.close()
        try log.close()  // closing twice is harmless
        #expect(throws: StorageError.self) { try log.append(TestBatch(count: 1)) }
    }

    // MARK: - Durability

    @Test(.timeLimit(.minutes(1)))
    func waitUntilDurableReturnsOnlyAfterTheFlusherRan() async throws {
        let fixture = try PartitionLogFixture(startFlusher: false)
        let log = try fixture.open()
        try await log.waitUntilDurable(0)  // nothing to wait for
        try log.appendAccepted(TestBatch(count: 3))
        #expect(log.bounds == .init(logStartOffset: 0, highWatermark: 0, logEndOffset: 3))

        let returned = Flag()
        let waiter = Task {
            try await log.waitUntilDurable(3)
            returned.set()
            return log.bounds
        }
        try await Task.sleep(for: .milliseconds(20))
        #expect(!returned.isSet)
        #expect(log.bounds.highWatermark == 0)

        fixture.flusher.start()
        let bounds = try await waiter.value
        #expect(returned.isSet)
        #expect(bounds == .init(logStartOffset: 0, highWatermark: 3, logEndOffset: 3))
    }

    @Test func stoppingTheFlusherFlushesWhatIsQueued() throws {
        let fixture = try PartitionLogFixture()
        let log = try fixture.open()
        for index in 0..<5 { try log.appendAccepted(TestBatch(count: 2, prefix: "s\(index)")) }
        fixture.flusher.stop()
        #expect(log.bounds == .init(logStartOffset: 0, highWatermark: 10, logEndOffset: 10))
    }

    /// Under a periodic policy an append is readable and acknowledged at once, and wakes a
    /// waiting fetch itself; the fsync follows at the flusher's next tick.
    @Test(.timeLimit(.minutes(1)))
    func periodicPolicyAcknowledgesOnAppendAndFlushesOnTheTick() async throws {
        let fixture = try PartitionLogFixture(startFlusher: false, policy: .periodically(every: .milliseconds(20)))
        let log = try fixture.open()
        let fetch = OneShotSignal()
        log.notifyOnAppend(fetch, after: 0)
        #expect(!fetch.hasFired)

        let batches = try (0..<3).map { try TestBatch(count: 2, prefix: "p\($0)") }
        for batch in batches { try log.appendAccepted(batch) }
        #expect(fetch.hasFired)
        #expect(log.bounds == .init(logStartOffset: 0, highWatermark: 6, logEndOffset: 6))
        #expect(try log.readAll().map(TestRecord.of) == batches.map(\.records))
        try await log.waitUntilDurable(6)  // returns without any flush
        #expect(log.awaitsFlush)

        fixture.flusher.start()
        #expect(await eventually { !log.awaitsFlush })
    }

    @Test func stoppingAPeriodicFlusherFlushesWhatIsQueued() throws {
        let fixture = try PartitionLogFixture(policy: .periodically(every: .seconds(3600)))
        let log = try fixture.open()
        for index in 0..<5 { try log.appendAccepted(TestBatch(count: 2, prefix: "q\(index)")) }
        #expect(log.awaitsFlush)
        fixture.flusher.stop()
        #expect(!log.awaitsFlush)
    }

    /// A producer whose records an fsync just made durable is answered by that fsync, even if
    /// a producer waiting for later offsets registered before it.
    @Test(.timeLimit(.minutes(1)))
    func flushReleasesEveryWaiterItCovers() async throws {
        let fixture = try PartitionLogFixture(startFlusher: false)
        let log = try fixture.open()
        try log.appendAccepted(TestBatch(count: 5))
        // Producer B's waiter (for offsets it is about to get) is queued first…
        let later = Task { try await log.waitUntilDurable(10) }
        try await Task.sleep(for: .milliseconds(10))
        // …then producer A's, for the five records already written.
        let covered = Flag()
        let earlier = Task {
            try await log.waitUntilDurable(5)
            covered.set()
        }
        try await Task.sleep(for: .milliseconds(10))

        log.flush()  // makes offsets 0..<5 durable
        #expect(log.bounds.highWatermark == 5)
        var waited = 0
        while !covered.isSet && waited < 500 {
            try await Task.sleep(for: .milliseconds(2))
            waited += 2
        }
        #expect(covered.isSet, "the waiter for offset 5 was not released by the fsync that covered it")

        try log.appendAccepted(TestBatch(count: 5))
        log.flush()
        try await earlier.value
        try await later.value
    }

    /// A batch larger than segment.bytes is stored anyway, alone in its segment.
    @Test(.timeLimit(.minutes(1)))
    func batchesLargerThanASegmentGetOneSegmentEach() async throws {
        let fixture = try PartitionLogFixture(config: smallSegments(segmentBytes: 14, indexIntervalBytes: 0))
        let log = try fixture.open()
        let batches = try (0..<4).map { try TestBatch(count: 2, prefix: "big\($0)") }
        let bases = try await log.appendAllDurably(batches)
        let segments = try fixture.segments()
        #expect(segments.map(\.baseOffset) == bases)
        #expect(segments.allSatisfy { $0.batches.count == 1 })
        for offset in Int64(0)..<8 {
            let read = try decodeBatches(try log.readRecords(from: offset))
            #expect(read.map(\.header.baseOffset) == [offset / 2 * 2])
        }
        #expect(try log.readAll().map(TestRecord.of) == batches.map(\.records))
    }

    /// Producers on several partitions append at once; every acknowledged batch is durable,
    /// offsets stay dense and the high watermark never passes the log end.
    @Test(.timeLimit(.minutes(1)))
    func concurrentAppendsOnSeveralPartitionsAllBecomeDurable() async throws {
        let fixture = try PartitionLogFixture()
        let partitions = 4
        let writers = 4
        let batchesPerWriter = 25
        let logs = try (0..<partitions).map { index in
            try PartitionLog.open(
                directory: fixture.root.child("p\(index)"), topic: "t", partition: Int32(index),
                config: smallSegments(segmentBytes: 2048, indexIntervalBytes: 300), cleanShutdown: false, flusher: fixture.flusher,
                logger: silentLogger
            )
        }
        let done = Flag()
        let monitor = Task {
            var violations: [String] = []
            var last = [Int64](repeating: 0, count: logs.count)
            while !done.isSet {
                for (index, log) in logs.enumerated() {
                    let bounds = log.bounds
                    if bounds.highWatermark > bounds.logEndOffset { violations.append("\(index): \(bounds)") }
                    if bounds.highWatermark < last[index] { violations.append("\(index): went back to \(bounds)") }
                    last[index] = bounds.highWatermark
                }
                await Task.yield()
            }
            return violations
        }

        // Readers fetch from everywhere below the high watermark while the writers go on.
        let readers = Task {
            var reads = 0
            var problems: [String] = []
            while !done.isSet {
                for log in logs {
                    let bounds = log.bounds
                    guard bounds.highWatermark > 0 else { continue }
                    let offset = Int64(reads * 7_919 + problems.count) % bounds.highWatermark
                    do {
                        let batches = try validatedBatches(try log.readRecords(from: offset, maxBytes: 700))
                        guard let first = batches.first, first.header.baseOffset <= offset, first.header.lastOffset >= offset,
                            batches.allSatisfy({ $0.header.baseOffset < log.bounds.highWatermark })
                        else { throw TestFailure("read at \(offset) gave \(batches.map(\.header.baseOffset))") }
                        reads += 1
                    } catch {
                        problems.append("\(error)")
                    }
                }
                await Task.yield()
            }
            return (reads, problems)
        }

        try await withThrowingTaskGroup(of: Void.self) { group in
            for (partition, log) in logs.enumerated() {
                for writer in 0..<writers {
                    group.addTask {
                        for sequence in 0..<batchesPerWriter {
                            let batch = try TestBatch(
                                [TestRecord(key: "w\(writer)", value: "\(partition)/\(writer)/\(sequence)"),
                                 TestRecord(key: "w\(writer)", value: "second")]
                            )
                            let base = try await log.appendDurably(batch)
                            let bounds = log.bounds
                            guard bounds.highWatermark >= base + 2, bounds.highWatermark <= bounds.logEndOffset else {
                                throw TestFailure("acknowledged \(base) but bounds are \(bounds)")
                            }
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        done.set()
        #expect(await monitor.value.isEmpty)
        let (reads, problems) = await readers.value
        #expect(problems.isEmpty, "\(problems.prefix(3))")
        #expect(reads > 0)

        let total = Int64(writers * batchesPerWriter * 2)
        for (partition, log) in logs.enumerated() {
            #expect(log.bounds == .init(logStartOffset: 0, highWatermark: total, logEndOffset: total))
            let read = try log.readAll()
            #expect(read.map(\.header.baseOffset) == Array(stride(from: 0, to: total, by: 2)))
            let values = read.compactMap { TestRecord.of($0).first?.value }
            let expected = (0..<writers).flatMap { writer in (0..<batchesPerWriter).map { "\(partition)/\(writer)/\($0)" } }
            #expect(values.sorted() == expected.sorted())
            // Each writer's batches are in its own order.
            for writer in 0..<writers {
                let mine = values.filter { $0.hasPrefix("\(partition)/\(writer)/") }
                #expect(mine == (0..<batchesPerWriter).map { "\(partition)/\(writer)/\($0)" })
            }
        }
    }

    // MARK: - Offsets by time

    @Test(.timeLimit(.minutes(1)))
    func offsetForTimestampFindsTheExactRecordAcrossSegments() async throws {
        let fixture = try PartitionLogFixture(config: smallSegments(segmentBytes: 500, indexIntervalBytes: 0))
        let log = try fixture.open()
        // Batch i: records at 10_000 + 100 i, + 10, + 20 (offsets 3i, 3i+1, 3i+2).
        let batches = try (0..<20).map { index in
            try TestBatch(
                (0..<3).map { TestRecord(key: "t\(index)", value: "\($0)", timestampDelta: Int64($0) * 10) },
                baseTimestamp: 10_000 + Int64(index) * 100
            )
        }
        try await log.appendAllDurably(batches)
        #expect(try fixture.segments().count >= 3)

        for index in 0..<20 {
            for record in 0..<3 {
                let timestamp = 10_000 + Int64(index) * 100 + Int64(record) * 10
                let offset = Int64(index * 3 + record)
                let exact = try #require(try log.offset(forTimestamp: timestamp))
                #expect(exact == (offset, timestamp), "timestamp \(timestamp)")
                // Between two records: the later one.
                let between = try #require(try log.offset(forTimestamp: timestamp - 3))
                #expect(between == (offset, timestamp), "timestamp \(timestamp - 3)")
            }
        }
        #expect(try log.offset(forTimestamp: 0)! == (0, 10_000))
        #expect(try log.offset(forTimestamp: 11_920)! == (59, 11_920))
        #expect(try log.offset(forTimestamp: 11_921) == nil)
        #expect(try log.offset(forTimestamp: .max) == nil)
    }

    /// Timestamps are the producers' and need not grow; the answer is the first offset whose
    /// timestamp is at least the target.
    @Test(.timeLimit(.minutes(1)))
    func offsetForTimestampWithTimestampsOutOfOrder() async throws {
        let fixture = try PartitionLogFixture()
        let log = try fixture.open()
        try await log.appendAllDurably([
            try TestBatch([TestRecord(key: "a", value: "1")], baseTimestamp: 5_000),
            try TestBatch([TestRecord(key: "b", value: "2")], baseTimestamp: 1_000),
            try TestBatch([TestRecord(key: "c", value: "3"), TestRecord(key: "d", value: "4", timestampDelta: 5_000)], baseTimestamp: 2_000),
        ])
        #expect(try log.offset(forTimestamp: 500)! == (0, 5_000))
        #expect(try log.offset(forTimestamp: 5_000)! == (0, 5_000))
        #expect(try log.offset(forTimestamp: 5_001)! == (3, 7_000))
        #expect(try log.offset(forTimestamp: 7_001) == nil)
    }

    /// A compressed batch is not opened: the answer is its first offset and its max timestamp.
    @Test(.timeLimit(.minutes(1)))
    func offsetForTimestampInACompressedBatchGivesItsFirstOffset() async throws {
        let fixture = try PartitionLogFixture()
        let log = try fixture.open()
        try await log.appendDurably(TestBatch(count: 2, baseTimestamp: 1_000))
        // Stored as-is; the broker never decompresses on this path, so the body may be anything.
        let compressed = try TestBatch(
            [TestRecord(key: "x", value: "1"), TestRecord(key: "y", value: "2", timestampDelta: 50)],
            baseTimestamp: 2_000, attributes: Int16(CompressionCodec.gzip.rawValue), body: ByteBuffer(bytes: [1, 2, 3, 4])
        )
        #expect(try await log.appendDurably(compressed) == 2)
        #expect(try log.offset(forTimestamp: 2_040)! == (2, 2_050))
        #expect(try log.offset(forTimestamp: 1_500)! == (2, 2_050))
        #expect(try log.offset(forTimestamp: 1_000)! == (0, 1_000))
    }

    /// Records below the log start are gone, even if their batch is still on disk.
    @Test(.timeLimit(.minutes(1)))
    func offsetForTimestampStartsAtTheLogStart() async throws {
        let fixture = try PartitionLogFixture()
        let log = try fixture.open()
        try await log.appendDurably(TestBatch(count: 4, baseTimestamp: 1_000, timestampStep: 10))
        try await log.appendDurably(TestBatch(count: 2, baseTimestamp: 2_000, timestampStep: 10))
        #expect(try log.deleteRecords(before: 2) == .moved(logStartOffset: 2))
        #expect(try log.offset(forTimestamp: 0)! == (2, 1_020))
        #expect(try log.offset(forTimestamp: 1_010)! == (2, 1_020))
        #expect(try log.offset(forTimestamp: 1_025)! == (3, 1_030))
        #expect(try log.offset(forTimestamp: 1_031)! == (4, 2_000))
    }

    @Test func offsetForTimestampIgnoresRecordsAboveTheHighWatermark() throws {
        let fixture = try PartitionLogFixture(startFlusher: false)
        let log = try fixture.open()
        try log.appendAccepted(TestBatch(count: 1, baseTimestamp: 1_000))
        log.flush()
        try log.appendAccepted(TestBatch(count: 1, baseTimestamp: 2_000))
        #expect(try log.offset(forTimestamp: 1_500) == nil)
        log.flush()
        #expect(try log.offset(forTimestamp: 1_500)! == (1, 2_000))
    }

    // MARK: - DeleteRecords

    @Test(.timeLimit(.minutes(1)))
    func deleteRecordsMovesTheLogStartAndRemovesWholeSegments() async throws {
        let fixture = try PartitionLogFixture(config: smallSegments())
        let log = try fixture.open()
        let batches = try (0..<40).map { try TestBatch(count: 2, prefix: "d\($0)", valueLength: 30) }
        let bases = try await log.appendAllDurably(batches)
        let before = try fixture.segments()
        #expect(before.count >= 4)
        // An offset inside a batch, inside the third segment.
        let target = before[2].batches[1].header.baseOffset + 1

        #expect(try log.deleteRecords(before: target) == .moved(logStartOffset: target))
        #expect(log.bounds.logStartOffset == target)
        let after = try fixture.segments()
        #expect(after.map(\.baseOffset) == before.dropFirst(2).map(\.baseOffset))
        #expect(try StoredSegment.files(in: fixture.directory, suffix: ".index").allSatisfy { name in
            after.contains { LogSegment.fileName($0.baseOffset, "index") == name }
        })

        #expect(try log.isOutOfRange(target - 1))
        #expect(try log.isOutOfRange(0))
        // The batch holding the new start comes back whole; the consumer skips what precedes it.
        let first = try #require(try decodeBatches(try log.readRecords(from: target, maxBytes: 1)).first)
        #expect(first.header.baseOffset == target - 1)
        #expect(try log.readAll(from: target).map(\.header.baseOffset) == Array(bases.drop { $0 < target - 1 }))

        // Moving backwards keeps the current start.
        #expect(try log.deleteRecords(before: 3) == .moved(logStartOffset: target))
        #expect(try log.deleteRecords(before: target) == .moved(logStartOffset: target))
    }

    @Test(.timeLimit(.minutes(1)))
    func deleteRecordsPersistsAcrossReopen() async throws {
        let fixture = try PartitionLogFixture(config: smallSegments())
        var log = try fixture.open()
        try await log.appendAllDurably(try (0..<30).map { try TestBatch(count: 2, prefix: "r\($0)", valueLength: 30) })
        #expect(try log.deleteRecords(before: 7) == .moved(logStartOffset: 7))
        let meta = PartitionMeta.read(directory: fixture.directory)
        #expect(meta == PartitionMeta(logStartOffset: 7))

        // After a crash…
        log = try fixture.open(cleanShutdown: false)
        #expect(log.bounds == .init(logStartOffset: 7, highWatermark: 60, logEndOffset: 60))
        #expect(try log.isOutOfRange(6))
        // …and after a clean shutdown.
        try log.close()
        log = try fixture.open(cleanShutdown: true)
        #expect(log.bounds == .init(logStartOffset: 7, highWatermark: 60, logEndOffset: 60))
        #expect(try log.readAll(from: 7).first?.header.baseOffset == 6)
    }

    @Test func deleteRecordsMinusOneMeansTheHighWatermark() throws {
        let fixture = try PartitionLogFixture(config: smallSegments(segmentBytes: 300), startFlusher: false)
        let log = try fixture.open()
        for index in 0..<10 { try log.appendAccepted(TestBatch(count: 2, prefix: "m\(index)", valueLength: 30)) }
        log.flush()
        try log.appendAccepted(TestBatch(count: 2, prefix: "late", valueLength: 30))
        #expect(log.bounds == .init(logStartOffset: 0, highWatermark: 20, logEndOffset: 22))

        #expect(try log.deleteRecords(before: 21) == .outOfRange)
        #expect(try log.deleteRecords(before: -2) == .outOfRange)
        #expect(log.bounds.logStartOffset == 0)
        #expect(try log.deleteRecords(before: -1) == .moved(logStartOffset: 20))
        #expect(log.bounds == .init(logStartOffset: 20, highWatermark: 20, logEndOffset: 22))
        // Every segment wholly below 20 is gone.
        #expect(try fixture.segments().allSatisfy { $0.nextOffset > 20 })
        #expect(try log.readRecords(from: 20).readableBytes == 0)
        log.flush()
        #expect(try log.readAll(from: 20).map(\.header.baseOffset) == [20])
    }

    @Test(.timeLimit(.minutes(1)))
    func deleteRecordsUpToTheEndKeepsTheActiveSegment() async throws {
        let fixture = try PartitionLogFixture(config: smallSegments(segmentBytes: 300))
        let log = try fixture.open()
        try await log.appendAllDurably(try (0..<10).map { try TestBatch(count: 2, prefix: "e\($0)", valueLength: 30) })
        let active = try #require(try fixture.segments().last)
        #expect(try log.deleteRecords(before: 20) == .moved(logStartOffset: 20))
        #expect(try fixture.segments().map(\.baseOffset) == [active.baseOffset])
        #expect(try log.readRecords(from: 20).readableBytes == 0)
        #expect(try log.isOutOfRange(19))
        #expect(try await log.appendDurably(TestBatch(count: 1)) == 20)
        #expect(try log.readAll(from: 20).map(\.header.baseOffset) == [20])
    }
}

/// A flag one task sets and another reads.
final class Flag: Sendable {
    private let state = Mutex(false)
    var isSet: Bool { state.withLock { $0 } }
    func set() { state.withLock { $0 = true } }
}
