import Kafka
import Projections

/// The batches a coalescing reader has taken and not applied yet: it applies at most once per
/// `interval`, and what comes sooner waits for the next batch after it or for the log to go
/// quiet.
struct CoalescedBatches: Sendable {
    /// nil: every batch is applied as it comes.
    let interval: Duration?
    private(set) var records: [EventRecord] = []
    private(set) var next: [Int32: Int64] = [:]
    private var lastApplied: ContinuousClock.Instant?

    init(interval: Duration?) {
        self.interval = interval
    }

    /// Adds `batch` (empty when the log was quiet); returns the records and the offsets after
    /// them to apply now, if it is time.
    mutating func add(_ batch: [KafkaRecord], now: ContinuousClock.Instant = .now) -> ([EventRecord], [Int32: Int64])? {
        records += batch.compactMap(EventRecord.init)
        next.merge(batch.nextOffsets) { max($0, $1) }
        guard !next.isEmpty else { return nil }
        if !batch.isEmpty, let interval, let lastApplied, now - lastApplied < interval { return nil }
        defer { (records, next, lastApplied) = ([], [:], now) }
        return (records, next)
    }
}
