import Foundation
import GRDB
import JSON

/// The read model of `chat.conversations`: conversations with their members' cursors, and
/// the message history by (conversation, seq). It runs the same fold as the conversation
/// processor, so its rows agree with every decision the processor made.
///
/// Conversation states are cached in memory and written back with each batch.
public final class ConversationProjection: @unchecked Sendable {
    public static let name = "conversations"

    /// Accessed only from the one task that applies batches (and from lookups made through
    /// `state(of:)`, which the owner serialises), hence the unchecked sendability.
    private var cache: [String: ConversationState] = [:]

    public init() {}

    /// Applies records of `chat.conversations` in log order and returns each one's decisions.
    public func apply(_ records: [EventRecord], in db: Database) throws -> [(EventRecord, [ConversationDecision])] {
        var touched: Set<String> = []
        // Senders have delivered and read what they sent: their cursors move once per batch.
        var senderCursors: [SenderCursor: Int64] = [:]
        var results: [(EventRecord, [ConversationDecision])] = []
        results.reserveCapacity(records.count)
        for record in records {
            guard let event = try? ConversationEvent(record) else {
                results.append((record, []))
                continue
            }
            let conv = event.conversation
            // Taken out of the cache so the fold changes it in place instead of copying it.
            _ = try state(of: conv, in: db)
            let (after, decisions) = ConversationFold.apply(cache.removeValue(forKey: conv), event)
            cache[conv] = after
            if decisions.contains(where: \.changesState) { touched.insert(conv) }
            try write(decisions, state: after, senderCursors: &senderCursors, in: db)
            results.append((record, decisions))
        }
        for (cursor, seq) in senderCursors {
            try db.run(
                sql: "UPDATE members SET delivered = MAX(delivered, ?), read = MAX(read, ?) WHERE conv = ? AND user = ?",
                arguments: [seq, seq, cursor.conv, cursor.user]
            )
        }
        for conv in touched {
            guard let state = cache[conv] else { continue }
            try db.run(
                sql: """
                    INSERT INTO conversations (id, kind, name, last_seq, last_ts, created_at, state) VALUES (?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (id) DO UPDATE SET name = excluded.name, last_seq = excluded.last_seq,
                        last_ts = excluded.last_ts, state = excluded.state
                    """,
                arguments: [
                    state.id, state.kind.rawValue, state.name, state.lastSeq, state.lastMessageTs, state.createdAt,
                    state.jsonData,
                ]
            )
        }
        return results
    }

    /// The state of `conv` as of the last applied record.
    public func state(of conv: String, in db: Database) throws -> ConversationState? {
        if let cached = cache[conv] { return cached }
        guard let data = try Data.fetchOne(db, sql: "SELECT state FROM conversations WHERE id = ?", arguments: [conv]) else {
            return nil
        }
        var state = try ConversationState(parsing: data)
        // The client ids the fold remembers are the senders' latest messages in the history.
        for sender in state.sent.keys {
            let rows = try Row.fetchAll(
                db,
                sql: "SELECT client_id, seq, ts FROM messages WHERE conv = ? AND sender = ? ORDER BY seq DESC LIMIT ?",
                arguments: [conv, sender, ConversationState.clientIdWindow]
            )
            state.recentSends[sender] = ConversationState.ClientIdWindow(rows.reversed().map {
                ConversationState.RecentSend(clientId: $0["client_id"], seq: $0["seq"], ts: $0["ts"])
            })
        }
        cache[conv] = state
        return state
    }

    private struct SenderCursor: Hashable {
        var conv: String
        var user: String
    }

    private func write(
        _ decisions: [ConversationDecision], state: ConversationState?, senderCursors: inout [SenderCursor: Int64], in db: Database
    ) throws {
        for decision in decisions {
            switch decision {
            case .groupCreated:
                guard let state else { continue }
                for (user, role) in state.members {
                    try upsertMember(conv: state.id, user: user, role: role, delivered: 0, read: 0, in: db)
                }
            case .memberAdded(let user, _):
                guard let state else { continue }
                try upsertMember(conv: state.id, user: user, role: .member, delivered: state.lastSeq, read: state.lastSeq, in: db)
            case .memberRemoved(let user, _):
                guard let state else { continue }
                try db.run(sql: "DELETE FROM members WHERE conv = ? AND user = ?", arguments: [state.id, user])
                // A removal can promote a new admin.
                for (member, role) in state.members where role == .admin {
                    try db.run(sql: "UPDATE members SET role = 'admin' WHERE conv = ? AND user = ?", arguments: [state.id, member])
                }
            case .messageAccepted(let message):
                guard let state else { continue }
                if message.seq == 1 && state.kind == .direct {
                    for user in state.memberList {
                        try upsertMember(conv: state.id, user: user, role: .member, delivered: 0, read: 0, in: db)
                    }
                }
                try db.run(
                    sql: """
                        INSERT OR REPLACE INTO messages (conv, seq, msg_id, sender, client_id, body, media, ts)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [
                        message.conv, message.seq, message.msgId, message.from, message.clientId, message.body,
                        message.media.map { String(decoding: $0.jsonData, as: UTF8.self) }, message.ts,
                    ]
                )
                senderCursors[SenderCursor(conv: message.conv, user: message.from)] = message.seq
                for media in message.media ?? [] {
                    try db.run(
                        sql: "INSERT OR IGNORE INTO message_media (media_id, conv, seq) VALUES (?, ?, ?)",
                        arguments: [media, message.conv, message.seq]
                    )
                }
            case .cursorAdvanced(let conv, let user, let status, let upTo, _, _):
                let column = status == .read ? "read" : "delivered"
                try db.run(
                    sql: "UPDATE members SET \(column) = MAX(\(column), ?) WHERE conv = ? AND user = ?",
                    arguments: [upTo, conv, user]
                )
            case .messageRepeated, .rejected, .unchanged:
                continue
            }
        }
    }

    private func upsertMember(
        conv: String, user: String, role: ConversationState.Role, delivered: Int64, read: Int64, in db: Database
    ) throws {
        try db.run(
            sql: """
                INSERT INTO members (conv, user, role, delivered, read) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (conv, user) DO UPDATE SET role = excluded.role
                """,
            arguments: [conv, user, role.rawValue, delivered, read]
        )
    }
}
