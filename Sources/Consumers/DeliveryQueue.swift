import Foundation
import GRDB
import Projections
import Synchronization

/// A node's delivery queue: what its inbox partitions hold for its users. Deliveries are
/// pushed to the sessions as they arrive and stored behind them, many batches to a
/// transaction, so that neither the push waits for SQLite nor SQLite writes a transaction
/// per batch.
///
/// Rows not stored yet are kept here and are part of every answer: a catch-up and the
/// receipts an ack yields see them as if they were stored. A crash loses only them, and the
/// inbox consumer reads them again from after the offsets stored with the last transaction.
///
/// - Important: ``admit(_:next:)`` and ``storeIfDue(force:)`` are called from one thread
///   only (the inbox consumer's); the reads may come from anywhere.
final class DeliveryQueue: Sendable {
    let database: ChatDatabase
    private let topic: String
    private let unstored = Mutex(Unstored())
    /// How long a row may wait before it is stored, at most.
    private let storeAfter: Duration
    /// How many rows may wait, at most.
    private static let maxUnstored = 2000

    private struct Unstored {
        var rows: [DeliveryRow] = []
        var origins: Set<String> = []
        /// The offsets after every record admitted (delivery or not) since the last store.
        var next: [Int32: Int64] = [:]
        var since: ContinuousClock.Instant?
    }

    init(database: ChatDatabase, topic: String, storeAfter: Duration) {
        self.database = database
        self.topic = topic
        self.storeAfter = storeAfter
    }

    /// Takes in a batch: returns its rows that are new, to be pushed, and keeps them until they
    /// are stored. A row whose origin is already stored or waiting is a repeat (a processor
    /// that wrote its outputs twice) and is dropped.
    func admit(_ rows: [DeliveryRow], next: [Int32: Int64]) throws -> [DeliveryRow] {
        let waiting = unstored.withLock { $0.origins }
        let candidates = rows.filter { !waiting.contains($0.origin) }
        let stored = try database.writer.read { db in try DeliveryStore.storedOrigins(among: candidates.map(\.origin), in: db) }
        var seen = Set<String>()
        let fresh = candidates.filter { !stored.contains($0.origin) && seen.insert($0.origin).inserted }
        unstored.withLock { unstored in
            unstored.rows += fresh
            unstored.origins.formUnion(seen)
            unstored.next.merge(next) { max($0, $1) }
            if unstored.since == nil, !unstored.next.isEmpty { unstored.since = .now }
        }
        return fresh
    }

    /// Stores what waits, with the offsets after it, in one transaction: when it has waited
    /// `storeAfter`, when many rows wait, or with `force` (an idle log, the end).
    func storeIfDue(force: Bool) throws {
        let (rows, next) = unstored.withLock { unstored -> ([DeliveryRow], [Int32: Int64]) in
            guard let since = unstored.since else { return ([], [:]) }
            guard force || unstored.rows.count >= Self.maxUnstored || ContinuousClock.now - since >= storeAfter else { return ([], [:]) }
            return (unstored.rows, unstored.next)
        }
        guard !next.isEmpty else { return }
        try database.apply(projection: DeliveryStore.projection, topic: topic, next: next) { db in
            for row in rows { try DeliveryStore.insert(row, in: db) }
        }
        // Only this thread admits, so what waits now is what was stored and nothing else.
        unstored.withLock { $0 = Unstored() }
    }

    /// Up to `limit` of the deliveries for `user` after `dseq`, in dseq order.
    func pending(for user: String, after dseq: Int64, limit: Int) async throws -> [StoredDelivery] {
        // Waiting rows first: one stored between the two reads is then in both, and none in
        // neither. They all come after the stored ones (a user's rows are in one partition,
        // and rows are stored in offset order).
        let waiting = unstored.withLock { $0.rows.filter { $0.delivery.user == user && $0.delivery.dseq > dseq } }
        let stored = try await database.writer.read { db in try DeliveryStore.pending(for: user, after: dseq, limit: limit, in: db) }
        guard stored.count < limit else { return stored }
        let last = stored.last?.dseq ?? dseq
        return stored + waiting.lazy.map(\.delivery).filter { $0.dseq > last }.prefix(limit - stored.count)
    }

    /// For each conversation, the highest `seq` of the messages from others that `user` got
    /// with a dseq in (`after`, `upTo`], stored or not. Call it inside a write transaction:
    /// a store then either committed before it (its rows are in `db`) or waits for it (they
    /// are still here).
    func deliveredMessages(user: String, after: Int64, upTo: Int64, in db: Database) throws -> [String: Int64] {
        let waiting = unstored.withLock { $0.rows }
        return try DeliveryStore.deliveredMessages(user: user, after: after, upTo: upTo, in: db)
            .merging(DeliveryStore.deliveredMessages(user: user, after: after, upTo: upTo, in: waiting)) { max($0, $1) }
    }
}
