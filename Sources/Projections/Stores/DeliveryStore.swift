import Foundation
import GRDB

/// A delivery stored for a user: one record of `chat.inbox`, by its offset (`dseq`).
public struct StoredDelivery: Sendable, Equatable {
    public var dseq: Int64
    public var user: String
    public var event: InboxEvent
}

/// One row of the delivery queue: a delivery and what its row holds besides.
public struct DeliveryRow: Sendable {
    public var partition: Int32
    public var delivery: StoredDelivery
    public var type: String
    public var payload: Data
    public var storedAt: Int64

    /// What makes the record unique (the conversation processor's output it came from).
    public var origin: String { delivery.event.id }

    /// The conversation, seq and sender of a message delivery.
    var message: (conv: String, seq: Int64, sender: String)? {
        guard case .message(let message) = delivery.event else { return nil }
        return (message.conv, message.seq, message.from)
    }
}

/// The delivery-queue projection: per user, the inbox records not yet acknowledged by all of
/// the user's devices, plus each device's cursor. A device that comes back after a long
/// absence is served from here, not by scanning the shared inbox partition.
///
/// Only the node that owns an inbox partition writes that partition's rows.
public enum DeliveryStore {
    public static let projection = "inbox"

    /// Stores the records of one batch; returns the new ones, skipping any whose origin was
    /// stored before (a conversation processor that wrote its outputs twice).
    public static func apply(_ records: [EventRecord], now: Int64, in db: Database) throws -> [StoredDelivery] {
        try rows(of: records, now: now).filter { try insert($0, in: db) }.map(\.delivery)
    }

    /// The rows that `records` become; records that are not inbox events have none.
    public static func rows(of records: [EventRecord], now: Int64) -> [DeliveryRow] {
        records.compactMap { record in
            (try? InboxEvent(record)).map { event in
                DeliveryRow(
                    partition: record.partition, delivery: StoredDelivery(dseq: record.offset, user: record.key, event: event),
                    type: record.type, payload: record.value, storedAt: now
                )
            }
        }
    }

    /// Stores `row` unless its origin is stored already; true if it was stored.
    @discardableResult
    public static func insert(_ row: DeliveryRow, in db: Database) throws -> Bool {
        let message = row.message
        try db.run(
            sql: """
                INSERT OR IGNORE INTO deliveries (partition, dseq, user, origin, type, payload, conv, seq, sender, stored_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                row.partition, row.delivery.dseq, row.delivery.user, row.origin, row.type, row.payload, message?.conv,
                message?.seq, message?.sender, row.storedAt,
            ]
        )
        return db.changesCount > 0
    }

    /// Which of `origins` are stored.
    public static func storedOrigins(among origins: [String], in db: Database) throws -> Set<String> {
        guard !origins.isEmpty else { return [] }
        let marks = Array(repeating: "?", count: origins.count).joined(separator: ",")
        return Set(try String.fetchAll(db, sql: "SELECT origin FROM deliveries WHERE origin IN (\(marks))", arguments: StatementArguments(origins)))
    }

    /// The first `limit` deliveries `user` is owed after `cursor`, in dseq order.
    public static func pending(for user: String, after cursor: Int64, limit: Int, in db: Database) throws -> [StoredDelivery] {
        try Row.fetchAll(
            db.cachedStatement(sql: "SELECT dseq, type, payload, partition FROM deliveries WHERE user = ? AND dseq > ? ORDER BY dseq LIMIT ?"),
            arguments: [user, cursor, limit]
        ).compactMap { row in
            let record = EventRecord(
                topic: "", partition: row["partition"], offset: row["dseq"], key: user, type: row["type"], version: 1,
                value: row["payload"]
            )
            return (try? InboxEvent(record)).map { StoredDelivery(dseq: row["dseq"], user: user, event: $0) }
        }
    }

    // MARK: - Cursors

    public static func cursor(user: String, device: String, in db: Database) throws -> Int64? {
        let statement = try db.cachedStatement(sql: "SELECT acked FROM device_cursors WHERE user = ? AND device = ?")
        return try Int64.fetchOne(statement, arguments: [user, device])
    }

    /// The highest cursor of any of the user's devices.
    public static func highestCursor(user: String, in db: Database) throws -> Int64? {
        let statement = try db.cachedStatement(sql: "SELECT MAX(acked) FROM device_cursors WHERE user = ?")
        return try Int64.fetchOne(statement, arguments: [user])
    }

    /// Moves a device's cursor forward (never back).
    public static func advance(user: String, device: String, to acked: Int64, in db: Database) throws {
        try db.run(
            sql: """
                INSERT INTO device_cursors (user, device, acked) VALUES (?, ?, ?)
                ON CONFLICT (user, device) DO UPDATE SET acked = MAX(acked, excluded.acked)
                """,
            arguments: [user, device, acked]
        )
    }

    /// Undoes `advance` to `acked` whose publication failed: sets the cursor back to `before`
    /// unless it has moved on since.
    public static func putBack(user: String, device: String, from acked: Int64, to before: Int64, in db: Database) throws {
        try db.run(
            sql: "UPDATE device_cursors SET acked = ? WHERE user = ? AND device = ? AND acked = ?",
            arguments: [before, user, device, acked]
        )
    }

    /// The same over rows not stored yet.
    public static func deliveredMessages(user: String, after: Int64, upTo: Int64, in rows: [DeliveryRow]) -> [String: Int64] {
        var delivered: [String: Int64] = [:]
        for row in rows where row.delivery.user == user && row.delivery.dseq > after && row.delivery.dseq <= upTo {
            guard let message = row.message, message.sender != user else { continue }
            delivered[message.conv] = max(delivered[message.conv] ?? message.seq, message.seq)
        }
        return delivered
    }

    /// For each conversation, the highest `seq` of the messages from others that `user`
    /// received with a dseq in (`after`, `upTo`]: what became delivered with an ack.
    public static func deliveredMessages(user: String, after: Int64, upTo: Int64, in db: Database) throws -> [String: Int64] {
        let rows = try Row.fetchAll(
            db.cachedStatement(sql: """
                SELECT conv, MAX(seq) AS seq FROM deliveries
                WHERE user = ? AND dseq > ? AND dseq <= ? AND conv IS NOT NULL AND sender != ?
                GROUP BY conv
                """),
            arguments: [user, after, upTo, user]
        )
        return Dictionary(uniqueKeysWithValues: rows.map { ($0["conv"] as String, $0["seq"] as Int64) })
    }

    /// Drops up to `limit` rows that every device of their user has acknowledged and that are
    /// older than `keepAcked` ms (they still guard against a repeated origin until then), and
    /// rows older than `keepAll` ms whatever their state (the inbox's own retention). Returns
    /// how many went; the limit keeps each transaction, and the wait of the writes queued
    /// behind it, short.
    public static func prune(now: Int64, keepAcked: Int64, keepAll: Int64, limit: Int, in db: Database) throws -> Int {
        try db.run(
            sql: """
                DELETE FROM deliveries WHERE rowid IN (
                    SELECT rowid FROM deliveries WHERE stored_at < ? OR (stored_at < ? AND dseq <= (
                        SELECT MIN(acked) FROM device_cursors WHERE device_cursors.user = deliveries.user))
                    LIMIT ?)
                """,
            arguments: [now - keepAll, now - keepAcked, limit]
        )
        return db.changesCount
    }
}
