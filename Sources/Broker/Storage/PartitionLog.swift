import Foundation
import KafkaProtocol
import Logging
import NIOCore
import Synchronization

/// The log of one topic partition: an ordered list of segments, the offsets that bound it,
/// and the idempotent producers' state.
///
/// Appends and index lookups happen under a mutex; file reads happen outside it on
/// reference-counted file handles. The high watermark is the *durable* end of the log: a
/// record becomes visible to fetches, and an `acks=-1` produce is answered, only once the
/// flusher has fsynced it, so nothing a consumer acted upon can vanish in a crash. Under a
/// periodic ``FlushPolicy`` it is the end of what the kernel holds instead, which survives
/// the kill of any process but not a power loss.
final class PartitionLog: Sendable {
    let topic: String
    let partition: Int32
    let directory: String
    private let state: Mutex<State>
    private let flusher: Flusher
    private let logger: Logger

    private struct DurableWaiter {
        var offset: Int64
        var done: @Sendable (Result<Void, any Error>) -> Void
    }

    private struct State {
        var config: TopicConfig
        var segments: [LogSegment]
        var logStartOffset: Int64
        var logEndOffset: Int64
        var highWatermark: Int64
        var producers: ProducerStateTable
        /// Files written since their last fsync, besides the active segment.
        var unsyncedFiles: [LogFile] = []
        var directoryNeedsSync = false
        var flushScheduled = false
        var durableWaiters: [DurableWaiter] = []
        var fetchSignals: [OneShotSignal] = []
        var isClosed = false
        /// Where the last compaction stopped: closed segments past it are "dirty".
        var cleanedThrough: Int64 = 0

        var active: LogSegment {
            get { segments[segments.count - 1] }
            set { segments[segments.count - 1] = newValue }
        }
    }

    enum AppendOutcome: Equatable {
        case appended(baseOffset: Int64)
        case duplicate(baseOffset: Int64)
        case rejected(BatchRejection)
    }

    struct Bounds: Equatable {
        var logStartOffset: Int64
        var highWatermark: Int64
        var logEndOffset: Int64
    }

    // MARK: - Opening

    /// Opens the partition's directory, recovering it as described in docs/architecture.md:
    /// after a clean shutdown the saved indexes and producer snapshot are trusted; otherwise
    /// each segment's tail is validated batch by batch (the active segment entirely) and
    /// whatever follows the first torn or corrupt batch is cut off.
    static func open(
        directory: String, topic: String, partition: Int32, config: TopicConfig, cleanShutdown: Bool,
        flusher: Flusher, logger: Logger
    ) throws -> PartitionLog {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try completeSwaps(directory: directory, logger: logger)
        let names = try FileManager.default.contentsOfDirectory(atPath: directory)
        let bases = names.compactMap { name -> Int64? in
            guard name.hasSuffix(".log") else { return nil }
            return Int64(name.dropLast(4))
        }.sorted()
        var meta = PartitionMeta.read(directory: directory)

        var segments: [LogSegment] = []
        var activeWalk: [RecordBatchHeader]?
        for (position, base) in bases.enumerated() {
            let isLast = position == bases.count - 1
            let recovery = try LogSegment.load(
                directory: directory, baseOffset: base, indexInterval: config.indexIntervalBytes,
                trustIndexes: cleanShutdown, fullScan: !cleanShutdown && isLast
            )
            segments.append(recovery.segment)
            if isLast && !cleanShutdown { activeWalk = recovery.walked }
            if recovery.truncatedBytes > 0 {
                logger.warning(
                    "truncated a torn or corrupt tail",
                    metadata: ["partition": "\(topic)-\(partition)", "segment": "\(base)", "bytes": "\(recovery.truncatedBytes)"]
                )
                if !isLast {
                    // Later segments would leave a gap in the offsets: drop them too.
                    for later in bases[(position + 1)...] {
                        logger.error("removing segment after a corrupt one", metadata: ["segment": "\(later)"])
                        for suffix in ["log", "index", "timeindex"] {
                            unlink("\(directory)/\(LogSegment.fileName(later, suffix))")
                        }
                    }
                    activeWalk = nil
                    break
                }
            }
        }
        if segments.isEmpty {
            segments.append(try LogSegment.create(directory: directory, baseOffset: meta.logStartOffset))
            try syncDirectory(directory)
        }
        let active = segments[segments.count - 1]
        // A killed process leaves written data in the page cache; make it durable before
        // exposing it to readers.
        try active.file.sync()

        let logEnd = active.nextOffset
        meta.logStartOffset = min(max(meta.logStartOffset, segments[0].baseOffset), logEnd)
        let producers = try ProducerSnapshots.restore(
            directory: directory, active: active, logEndOffset: logEnd, walked: activeWalk,
            trustLatest: cleanShutdown
        )
        ProducerSnapshots.removeStale(directory: directory, keepingFrom: segments[0].baseOffset, upTo: logEnd)

        let state = State(
            config: config, segments: segments, logStartOffset: meta.logStartOffset, logEndOffset: logEnd,
            highWatermark: logEnd, producers: producers
        )
        return PartitionLog(topic: topic, partition: partition, directory: directory, state: state, flusher: flusher, logger: logger)
    }

    private init(topic: String, partition: Int32, directory: String, state: State, flusher: Flusher, logger: Logger) {
        self.topic = topic
        self.partition = partition
        self.directory = directory
        self.state = Mutex(state)
        self.flusher = flusher
        self.logger = logger
    }

    // MARK: - Offsets

    var bounds: Bounds {
        state.withLock { Bounds(logStartOffset: $0.logStartOffset, highWatermark: $0.highWatermark, logEndOffset: $0.logEndOffset) }
    }

    var config: TopicConfig {
        get { state.withLock { $0.config } }
    }

    /// Total bytes of the partition's segments.
    var sizeInBytes: Int {
        state.withLock { $0.segments.reduce(0) { $0 + $1.size } }
    }

    // MARK: - Appending

    /// Appends one validated batch, assigning it the next offsets. A retried idempotent batch
    /// is recognised and not appended again.
    func append(_ batch: ByteBuffer, header: RecordBatchHeader, now: Int64) throws -> AppendOutcome {
        var readable: [OneShotSignal] = []
        var needsQueueing = false
        let outcome: AppendOutcome = try state.withLock { state in
            guard !state.isClosed else { throw StorageError("append", path: directory, errno: EBADF) }
            switch state.producers.decide(header) {
            case .duplicate(let baseOffset): return .duplicate(baseOffset: baseOffset)
            case .reject(let code, let reason): return .rejected(BatchRejection(code, reason))
            case .append: break
            }
            let baseOffset = state.logEndOffset
            let lastOffset = baseOffset + Int64(header.lastOffsetDelta)
            if state.active.needsRoll(batchSize: header.totalSize, lastOffset: lastOffset, config: state.config, now: now) {
                try roll(&state)
            }
            try state.active.append(
                batch, header: header, baseOffset: baseOffset, indexInterval: state.config.indexIntervalBytes, now: now
            )
            state.logEndOffset = lastOffset + 1
            state.producers.record(header, baseOffset: baseOffset)
            if flusher.acknowledgesBeforeSync {
                state.highWatermark = state.logEndOffset
                swap(&readable, &state.fetchSignals)
            }
            needsQueueing = Self.markUnflushed(&state)
            return .appended(baseOffset: baseOffset)
        }
        for signal in readable { signal.fire() }
        if needsQueueing { flusher.schedule(self) }
        return outcome
    }

    /// Closes the active segment and starts a new one at the log end offset. The old segment
    /// is cut to its batches at once; its data is synced by the next flush, together with the
    /// directory entry of the new one.
    private func roll(_ state: inout State) throws {
        try state.active.saveIndexes()
        try state.active.trimAllocation()
        try ProducerSnapshots.write(state.producers, directory: directory, offset: state.logEndOffset)
        state.unsyncedFiles.append(state.active.file)
        state.segments.append(try LogSegment.create(directory: directory, baseOffset: state.logEndOffset))
        state.directoryNeedsSync = true
    }

    /// Marks the partition as waiting for a flush; true when it is not queued with the
    /// flusher yet, and the caller must queue it (outside the lock where it can).
    private static func markUnflushed(_ state: inout State) -> Bool {
        defer { state.flushScheduled = true }
        return !state.flushScheduled
    }

    // MARK: - Durability

    /// Returns once every offset below `offset` is durable (fsynced, or under a periodic
    /// ``FlushPolicy`` written).
    func waitUntilDurable(_ offset: Int64) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            whenDurable(offset) { continuation.resume(with: $0) }
        }
    }

    /// Calls `done` once every offset below `offset` is durable, or with the error of the
    /// fsync that failed: right here if it is durable already, else on the flusher's thread,
    /// so `done` must only hand the result on.
    func whenDurable(_ offset: Int64, _ done: @escaping @Sendable (Result<Void, any Error>) -> Void) {
        let ready = state.withLock { state in
            if state.highWatermark >= offset { return true }
            state.durableWaiters.append(DurableWaiter(offset: offset, done: done))
            return false
        }
        if ready { done(.success(())) }
    }

    /// Whether something written waits for the flusher's fsync.
    var awaitsFlush: Bool { state.withLock { $0.flushScheduled } }

    /// Called by the flusher's thread: fsyncs what was written, then advances the high
    /// watermark and wakes producers and long-polling fetches.
    func flush() {
        let work = state.withLock { state in
            defer {
                state.unsyncedFiles = []
                state.directoryNeedsSync = false
                state.flushScheduled = false
            }
            return (older: state.unsyncedFiles, files: state.unsyncedFiles + [state.active.file], target: state.logEndOffset,
                    syncDirectory: state.directoryNeedsSync)
        }
        var failure: (any Error)?
        do {
            for file in work.files { try file.sync() }
            if work.syncDirectory { try syncDirectory(directory) }
        } catch {
            failure = error
            logger.error("fsync failed", metadata: ["partition": "\(topic)-\(partition)", "error": "\(error)"])
        }
        let (waiters, signals): ([DurableWaiter], [OneShotSignal]) = state.withLock { state in
            if failure != nil {
                // Keep what failed for the next flush: the high watermark must not pass data
                // whose fsync failed.
                state.unsyncedFiles = work.older + state.unsyncedFiles
                state.directoryNeedsSync = state.directoryNeedsSync || work.syncDirectory
            }
            if failure == nil, work.target > state.highWatermark { state.highWatermark = work.target }
            let limit = failure == nil ? state.highWatermark : work.target
            // Waiters are not ordered by offset (a retried batch waits for an older one).
            let ready = state.durableWaiters.filter { $0.offset <= limit }
            state.durableWaiters.removeAll { $0.offset <= limit }
            defer { state.fetchSignals = [] }
            return (Array(ready), failure == nil ? state.fetchSignals : [])
        }
        for waiter in waiters {
            waiter.done(failure.map { .failure($0) } ?? .success(()))
        }
        for signal in signals { signal.fire() }
    }

    // MARK: - Reading

    struct ReadResult {
        var records: ByteBuffer
        var bounds: Bounds
    }

    enum ReadOutcome {
        case records(ReadResult)
        case outOfRange(Bounds)
    }

    /// Reads whole batches starting with the one that contains `offset`, up to `maxBytes`
    /// but always at least one batch, never past the high watermark.
    func read(from offset: Int64, maxBytes: Int) throws -> ReadOutcome {
        var offset = offset
        // A compacted segment may end before the next one starts; step over such gaps.
        while true {
            let plan: (file: LogFile, start: Int, end: Int, following: Int64?, bounds: Bounds)?
            let bounds: Bounds
            (plan, bounds) = state.withLock { state in
                let bounds = Bounds(
                    logStartOffset: state.logStartOffset, highWatermark: state.highWatermark, logEndOffset: state.logEndOffset
                )
                guard offset >= state.logStartOffset, offset < state.highWatermark else { return (nil, bounds) }
                let index = Self.segmentIndex(for: offset, in: state.segments)
                let segment = state.segments[index]
                let following = index + 1 < state.segments.count ? state.segments[index + 1].baseOffset : nil
                return ((segment.file, segment.startPosition(for: offset), segment.size, following, bounds), bounds)
            }
            if offset < bounds.logStartOffset || offset > bounds.highWatermark { return .outOfRange(bounds) }
            guard let plan else { return .records(ReadResult(records: ByteBuffer(), bounds: bounds)) }

            let scanner = BatchScanner(file: plan.file, validatesChecksums: false)
            guard let first = try scanner.firstBatch(containingOrAfter: offset, from: plan.start, to: plan.end) else {
                guard let following = plan.following else {
                    return .records(ReadResult(records: ByteBuffer(), bounds: bounds))
                }
                offset = following
                continue
            }
            if first.header.baseOffset >= bounds.highWatermark {
                return .records(ReadResult(records: ByteBuffer(), bounds: bounds))
            }
            let count = min(plan.end - first.position, max(maxBytes, first.header.totalSize))
            var data = try plan.file.read(count: count, at: first.position)
            data.moveWriterIndex(to: data.readerIndex + Self.wholeBatchesLength(in: data, below: bounds.highWatermark))
            return .records(ReadResult(records: data, bounds: bounds))
        }
    }

    /// The index of the last segment whose base offset is at most `offset`.
    private static func segmentIndex(for offset: Int64, in segments: [LogSegment]) -> Int {
        var low = 0
        var high = segments.count
        while low < high {
            let mid = (low + high) / 2
            if segments[mid].baseOffset <= offset { low = mid + 1 } else { high = mid }
        }
        return max(0, low - 1)
    }

    /// How many leading bytes of `data` are whole batches starting below `limit`.
    private static func wholeBatchesLength(in data: ByteBuffer, below limit: Int64) -> Int {
        var position = data.readerIndex
        while let header = RecordBatchHeader(from: data, at: position),
            header.totalSize >= RecordBatchHeader.size,
            position + header.totalSize <= data.writerIndex,
            header.baseOffset < limit
        {
            position += header.totalSize
        }
        return position - data.readerIndex
    }

    /// Registers `signal` to fire at the next advance of the high watermark past
    /// `highWatermark`, or fires it now if the high watermark is already past it.
    func notifyOnAppend(_ signal: OneShotSignal, after highWatermark: Int64) {
        let passed: Bool = state.withLock { state in
            guard state.highWatermark <= highWatermark else { return true }
            // Signals of fetches that timed out are dropped here rather than kept until an append.
            state.fetchSignals.removeAll { $0.hasFired }
            state.fetchSignals.append(signal)
            return false
        }
        if passed { signal.fire() }
    }

    // MARK: - Offsets by time

    /// The first offset whose record timestamp is at least `timestamp`, with that record's
    /// timestamp; nil if every record is older. Compressed batches answer with the batch's
    /// first offset, which makes a consumer read a few older records rather than miss any.
    func offset(forTimestamp timestamp: Int64) throws -> (offset: Int64, timestamp: Int64)? {
        let plan: (file: LogFile, start: Int, end: Int, startOffset: Int64, hwm: Int64)? = state.withLock { state in
            guard let segment = state.segments.first(where: { $0.maxTimestamp >= timestamp }) else { return nil }
            let relative = segment.timeIndex.startOffset(forTimestamp: timestamp)
            let startOffset = max(segment.baseOffset + Int64(relative), state.logStartOffset)
            return (segment.file, segment.startPosition(for: startOffset), segment.size, startOffset, state.highWatermark)
        }
        guard let plan else { return nil }
        var match: (offset: Int64, timestamp: Int64)?
        _ = try BatchScanner(file: plan.file, validatesChecksums: false).walk(from: plan.start, to: plan.end) { found in
            let header = found.header
            guard header.baseOffset < plan.hwm else { return false }
            guard header.lastOffset >= plan.startOffset, header.maxTimestamp >= timestamp else { return true }
            match = try Self.firstRecord(atOrAfter: timestamp, in: found, file: plan.file, minimumOffset: plan.startOffset)
            return false
        }
        return match
    }

    private static func firstRecord(
        atOrAfter timestamp: Int64, in found: BatchScanner.Found, file: LogFile, minimumOffset: Int64
    ) throws -> (offset: Int64, timestamp: Int64) {
        let header = found.header
        guard header.compression == CompressionCodec.none else {
            return (max(header.baseOffset, minimumOffset), header.maxTimestamp)
        }
        var bytes = try file.read(count: header.totalSize, at: found.position)
        if let batch = try? RecordBatch.decode(from: &bytes),
            let record = batch.records.first(where: {
                header.baseTimestamp + $0.timestampDelta >= timestamp
                    && header.baseOffset + Int64($0.offsetDelta) >= minimumOffset
            })
        {
            return (header.baseOffset + Int64(record.offsetDelta), header.baseTimestamp + record.timestampDelta)
        }
        return (max(header.baseOffset, minimumOffset), header.maxTimestamp)
    }

    // MARK: - Deleting records

    enum DeleteRecordsOutcome: Equatable {
        case moved(logStartOffset: Int64)
        case outOfRange
    }

    /// Moves the log start offset to `offset` (-1: the high watermark) and removes segments
    /// that lie wholly below it.
    func deleteRecords(before offset: Int64) throws -> DeleteRecordsOutcome {
        try state.withLock { state in
            let target = offset == -1 ? state.highWatermark : offset
            guard target >= 0, target <= state.highWatermark else { return .outOfRange }
            if target > state.logStartOffset {
                state.logStartOffset = target
                try PartitionMeta(logStartOffset: target).write(directory: directory)
                removeSegments(&state) { segment, _ in segment.nextOffset <= target }
            }
            return .moved(logStartOffset: state.logStartOffset)
        }
    }

    // MARK: - Retention

    /// Deletes the oldest segments past the topic's retention time or size. The active
    /// segment is rolled first when all of it has expired, so it can go at the next pass.
    func enforceRetention(now: Int64) throws {
        try state.withLock { state in
            let config = state.config
            guard config.cleanupPolicy.deletes else { return }
            func expired(_ segment: LogSegment) -> Bool {
                config.retentionMs >= 0 && segment.maxTimestamp >= 0 && now - segment.maxTimestamp > config.retentionMs
            }
            var total = state.segments.reduce(0) { $0 + $1.size }
            removeSegments(&state) { segment, state in
                // Never delete what is not yet durable (and so not yet readable).
                guard segment.nextOffset <= state.highWatermark else { return false }
                let oversize = config.retentionBytes >= 0 && total - segment.size >= config.retentionBytes
                guard expired(segment) || oversize else { return false }
                total -= segment.size
                return true
            }
            if state.segments.count == 1, state.active.size > 0, expired(state.active),
                state.highWatermark == state.logEndOffset
            {
                try roll(&state)
                if Self.markUnflushed(&state) { flusher.schedule(self) }
            }
        }
    }

    /// Removes leading closed segments while `shouldRemove` says so, advancing the log start.
    private func removeSegments(_ state: inout State, while shouldRemove: (LogSegment, State) -> Bool) {
        var removed = 0
        while state.segments.count > 1, shouldRemove(state.segments[0], state) {
            let segment = state.segments.removeFirst()
            segment.delete()
            removed += 1
            state.logStartOffset = max(state.logStartOffset, state.segments[0].baseOffset)
        }
        if removed > 0 {
            ProducerSnapshots.removeStale(directory: directory, keepingFrom: state.segments[0].baseOffset, upTo: state.logEndOffset)
            logger.info(
                "deleted segments",
                metadata: ["partition": "\(topic)-\(partition)", "count": "\(removed)", "logStartOffset": "\(state.logStartOffset)"]
            )
        }
    }

    // MARK: - Compaction

    /// The closed segments a compaction may clean now, or nil if there is nothing worth it.
    func cleanableSegments(now: Int64) -> [LogSegment]? {
        state.withLock { state in
            let config = state.config
            guard config.cleanupPolicy.compacts, state.segments.count > 1 else { return nil }
            // Records younger than min.compaction.lag.ms stay untouched, with all after them.
            let closed = state.segments.dropLast().prefix {
                config.minCompactionLagMs == 0 || ($0.maxTimestamp >= 0 && now - $0.maxTimestamp >= config.minCompactionLagMs)
            }
            let total = closed.reduce(0) { $0 + $1.size }
            let dirty = closed.filter { $0.baseOffset >= state.cleanedThrough }.reduce(0) { $0 + $1.size }
            guard total > 0, dirty > 0 else { return nil }
            guard Double(dirty) / Double(total) >= config.minCleanableDirtyRatio else { return nil }
            return Array(closed)
        }
    }

    /// Replaces `group` by the compacted `output` unless retention or DeleteRecords removed
    /// any of them meanwhile. Returns whether the swap happened.
    func swapIn(_ output: LogSegment, replacing group: [LogSegment]) throws -> Bool {
        try state.withLock { state in
            guard let first = state.segments.firstIndex(where: { $0.baseOffset == group[0].baseOffset }),
                first + group.count < state.segments.count,
                zip(state.segments[first..<first + group.count], group).allSatisfy({ $0.file === $1.file })
            else { return false }
            for segment in group { segment.delete() }
            guard rename(LogSegment.swapPath(directory: directory, baseOffset: output.baseOffset), output.logPath) == 0 else {
                throw StorageError("rename", path: output.logPath, errno: errno)
            }
            try syncDirectory(directory)
            try output.saveIndexes()
            state.segments.replaceSubrange(first..<first + group.count, with: [output])
            state.cleanedThrough = max(state.cleanedThrough, group.last!.nextOffset)
            return true
        }
    }

    /// Finishes compactions a crash interrupted. A `.cleaned` file may be incomplete and is
    /// dropped; a `.swap` file is complete (it was fsynced before being renamed to that name),
    /// so the segments it covers go and it takes their place.
    private static func completeSwaps(directory: String, logger: Logger) throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory)
        for name in names where name.hasSuffix(".log.cleaned") {
            unlink("\(directory)/\(name)")
        }
        for name in names where name.hasSuffix(".log.swap") {
            guard let base = Int64(name.dropLast(9)) else { continue }
            let swapPath = "\(directory)/\(name)"
            let swap = try LogFile(path: swapPath, create: false)
            var next = base
            _ = try BatchScanner(file: swap, validatesChecksums: true).walk(from: 0, to: try swap.size()) {
                next = $0.header.nextOffset
                return true
            }
            for other in names where other.hasSuffix(".log") {
                guard let otherBase = Int64(other.dropLast(4)), otherBase >= base, otherBase < max(next, base + 1) else { continue }
                for suffix in ["log", "index", "timeindex"] { unlink("\(directory)/\(LogSegment.fileName(otherBase, suffix))") }
            }
            guard rename(swapPath, "\(directory)/\(LogSegment.fileName(base, "log"))") == 0 else {
                throw StorageError("rename", path: swapPath, errno: errno)
            }
            try syncDirectory(directory)
            logger.warning("completed an interrupted compaction", metadata: ["directory": "\(directory)", "segment": "\(base)"])
        }
    }

    // MARK: - Closing

    /// Flushes and saves what a clean restart needs: the active segment's indexes and the
    /// producer state at the log end. Appends fail afterwards.
    func close() throws {
        try state.withLock { state in
            guard !state.isClosed else { return }
            state.isClosed = true
            try state.active.trimAllocation()
            for segment in state.segments.suffix(2) { try segment.file.sync() }
            try state.active.saveIndexes()
            try ProducerSnapshots.write(state.producers, directory: directory, offset: state.logEndOffset)
        }
    }

    /// Deletes every file of the partition (the topic is being deleted).
    func deleteFiles() {
        let waiters = state.withLock { state in
            state.isClosed = true
            defer { state.durableWaiters = [] }
            return state.durableWaiters
        }
        for waiter in waiters {
            waiter.done(.failure(StorageError("append", path: directory, errno: ENOENT)))
        }
        try? FileManager.default.removeItem(atPath: directory)
    }
}
