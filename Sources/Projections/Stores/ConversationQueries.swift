import Foundation
import GRDB
import JSON

/// Reads of the conversation read model, for the gateway's answers.
public enum ConversationQueries {
    public struct Member: Sendable, Equatable {
        public var user: String
        public var role: String
        public var delivered: Int64
        public var read: Int64
    }

    public struct Summary: Sendable, Equatable {
        public var id: String
        public var kind: String
        public var name: String?
        public var lastSeq: Int64
        public var lastTs: Int64
        /// The asking user's read cursor.
        public var read: Int64
        /// Messages from others after the read cursor.
        public var unread: Int64
        public var members: [String]
    }

    public struct Message: Sendable, Equatable {
        public var msgId: String
        public var conv: String
        public var seq: Int64
        public var from: String
        public var body: String?
        public var media: [String]?
        public var ts: Int64
    }

    public static func members(of conv: String, in db: Database) throws -> [Member] {
        try Row.fetchAll(db, sql: "SELECT user, role, delivered, read FROM members WHERE conv = ? ORDER BY user", arguments: [conv])
            .map { Member(user: $0["user"], role: $0["role"], delivered: $0["delivered"], read: $0["read"]) }
    }

    /// Everyone who shares a conversation with `user` (not `user` itself).
    public static func contacts(of user: String, in db: Database) throws -> [String] {
        try String.fetchAll(
            db,
            sql: """
                SELECT DISTINCT other.user FROM members mine JOIN members other ON other.conv = mine.conv
                WHERE mine.user = ? AND other.user != ?
                """,
            arguments: [user, user]
        )
    }

    public static func isMember(_ user: String, of conv: String, in db: Database) throws -> Bool {
        let statement = try db.cachedStatement(sql: "SELECT 1 FROM members WHERE conv = ? AND user = ?")
        return try Bool.fetchOne(statement, arguments: [conv, user]) ?? false
    }

    /// The name of group `id`; nil if there is no such group.
    public static func groupName(_ id: String, in db: Database) throws -> String? {
        try Row.fetchOne(db, sql: "SELECT name FROM conversations WHERE id = ? AND kind = 'group'", arguments: [id])?["name"]
    }

    public static func exists(_ conv: String, in db: Database) throws -> Bool {
        try Bool.fetchOne(db, sql: "SELECT 1 FROM conversations WHERE id = ?", arguments: [conv]) ?? false
    }

    /// The conversations of `user`, most recent first: by their last message, or by their
    /// creation while they have none (a new group belongs at the top, not the bottom).
    public static func conversations(of user: String, in db: Database) throws -> [Summary] {
        let rows = try Row.fetchAll(
            db,
            sql: """
                SELECT c.id, c.kind, c.name, c.last_seq, c.last_ts, m.read,
                    (SELECT COUNT(*) FROM messages x WHERE x.conv = c.id AND x.seq > m.read AND x.sender != m.user) AS unread
                FROM members m JOIN conversations c ON c.id = m.conv
                WHERE m.user = ?
                ORDER BY MAX(c.last_ts, c.created_at) DESC, c.id
                """,
            arguments: [user]
        )
        return try rows.map { row in
            let id: String = row["id"]
            return Summary(
                id: id, kind: row["kind"], name: row["name"], lastSeq: row["last_seq"], lastTs: row["last_ts"],
                read: row["read"], unread: row["unread"], members: try members(of: id, in: db).map(\.user)
            )
        }
    }

    /// Up to `limit` messages of `conv` with seq below `before` (all when nil), newest first.
    public static func messages(of conv: String, before: Int64?, limit: Int, in db: Database) throws -> [Message] {
        try Row.fetchAll(
            db,
            sql: """
                SELECT msg_id, conv, seq, sender, body, media, ts FROM messages
                WHERE conv = ? AND seq < ? ORDER BY seq DESC LIMIT ?
                """,
            arguments: [conv, before ?? Int64.max, limit]
        ).map { row in
            let media: String? = row["media"]
            return Message(
                msgId: row["msg_id"], conv: row["conv"], seq: row["seq"], from: row["sender"], body: row["body"],
                media: media.flatMap { try? [String](parsing: $0.utf8) }, ts: row["ts"]
            )
        }
    }
}
