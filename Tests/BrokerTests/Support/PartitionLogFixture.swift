@testable import Broker
import KafkaProtocol
import Logging
import NIOCore
import TestSupport

/// A logger that drops everything: storage logs warnings on purpose during recovery tests.
let silentLogger = Logger(label: "broker-storage-tests") { _ in SwiftLogNoOpLogHandler() }

/// One partition directory in a fresh temporary directory, with the flusher its logs use.
///
/// With `startFlusher: false` nothing is ever fsynced in the background: a test advances the
/// high watermark itself by calling `PartitionLog.flush()`, which is what a flusher thread does.
final class PartitionLogFixture: Sendable {
    let root: TemporaryDirectory
    let directory: String
    let config: TopicConfig
    let flusher: Flusher

    init(config: TopicConfig = TopicConfig(), startFlusher: Bool = true, policy: FlushPolicy = .beforeAcknowledging) throws {
        root = try TemporaryDirectory()
        directory = root.child("topic-0")
        self.config = config
        flusher = Flusher(threads: 2, policy: policy)
        if startFlusher { flusher.start() }
    }

    deinit {
        flusher.stop()
    }

    /// Opens (or reopens, as after a restart) the partition. Not closing the previous
    /// instance first is how a test simulates a crash: nothing of a clean close is written.
    func open(cleanShutdown: Bool = false, config: TopicConfig? = nil) throws -> PartitionLog {
        try PartitionLog.open(
            directory: directory, topic: "topic", partition: 0, config: config ?? self.config,
            cleanShutdown: cleanShutdown, flusher: flusher, logger: silentLogger
        )
    }

    func segments() throws -> [StoredSegment] { try StoredSegment.all(in: directory) }

    func logPath(_ baseOffset: Int64) -> String { "\(directory)/\(LogSegment.fileName(baseOffset, "log"))" }
}

/// A topic config with small segments, the usual shape for these tests.
func smallSegments(
    segmentBytes: Int = 1024, indexIntervalBytes: Int = 4096, retentionMs: Int64 = -1, retentionBytes: Int64 = -1
) -> TopicConfig {
    var config = TopicConfig()
    config.segmentBytes = segmentBytes
    config.indexIntervalBytes = indexIntervalBytes
    config.retentionMs = retentionMs
    config.retentionBytes = retentionBytes
    return config
}

extension PartitionLog {
    /// Appends a test batch the way the produce path does.
    @discardableResult
    func append(_ batch: TestBatch, now: Int64 = 1_000) throws -> AppendOutcome {
        try append(batch.buffer, header: batch.header, now: now)
    }

    /// Appends a batch that must be accepted; returns its base offset (not waiting for fsync).
    @discardableResult
    func appendAccepted(_ batch: TestBatch, now: Int64 = 1_000) throws -> Int64 {
        let outcome = try append(batch, now: now)
        guard case .appended(let baseOffset) = outcome else { throw TestFailure("append gave \(outcome)") }
        return baseOffset
    }

    /// Appends a batch and returns once it is durable (and so below the high watermark).
    @discardableResult
    func appendDurably(_ batch: TestBatch, now: Int64 = 1_000) async throws -> Int64 {
        let baseOffset = try appendAccepted(batch, now: now)
        try await waitUntilDurable(baseOffset + batch.recordCount)
        return baseOffset
    }

    /// Appends every batch, then waits once for all of them to be durable; returns the base offsets.
    @discardableResult
    func appendAllDurably(_ batches: [TestBatch], now: Int64 = 1_000) async throws -> [Int64] {
        let offsets = try batches.map { try appendAccepted($0, now: now) }
        try await waitUntilDurable(bounds.logEndOffset)
        return offsets
    }

    /// The bytes a read returns, failing on `.outOfRange`.
    func readRecords(from offset: Int64, maxBytes: Int = 1 << 20) throws -> ByteBuffer {
        switch try read(from: offset, maxBytes: maxBytes) {
        case .records(let result): return result.records
        case .outOfRange(let bounds): throw TestFailure("offset \(offset) out of range \(bounds)")
        }
    }

    /// Reads everything from `offset` to the high watermark, following segments, as a
    /// consumer does; returns the decoded batches.
    func readAll(from offset: Int64 = 0) throws -> [RecordBatch] {
        var batches: [RecordBatch] = []
        var next = offset
        while next < bounds.highWatermark {
            let decoded = try decodeBatches(try readRecords(from: next))
            guard let last = decoded.last else { throw TestFailure("empty read at \(next) below the high watermark") }
            batches += decoded
            next = last.header.lastOffset + 1
        }
        return batches
    }

    /// Whether reading `offset` answers out-of-range.
    func isOutOfRange(_ offset: Int64) throws -> Bool {
        if case .outOfRange = try read(from: offset, maxBytes: 1 << 20) { return true }
        return false
    }
}
