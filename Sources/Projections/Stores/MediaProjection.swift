import Foundation
import GRDB

/// The read model of `chat.media`: which media exist, their size and type, who uploaded them.
/// Together with `message_media` (written by the conversation projection) it answers who may
/// download what.
public enum MediaProjection {
    public static let name = "media"

    public struct Media: Sendable, Equatable {
        public var id: String
        public var size: Int64
        public var contentType: String
    }

    public static func apply(_ records: [EventRecord], in db: Database) throws {
        for record in records {
            guard let upload = try? EventCoding.decode(MediaUploaded.self, from: record) else { continue }
            try db.run(
                sql: "INSERT OR IGNORE INTO media (id, size, content_type, uploaded_at) VALUES (?, ?, ?, ?)",
                arguments: [upload.mediaId, upload.size, upload.contentType, upload.ts]
            )
            try db.run(
                sql: "INSERT OR IGNORE INTO media_uploaders (media_id, user) VALUES (?, ?)",
                arguments: [upload.mediaId, upload.uploader]
            )
        }
    }

    public static func media(_ id: String, in db: Database) throws -> Media? {
        try Row.fetchOne(db, sql: "SELECT id, size, content_type FROM media WHERE id = ?", arguments: [id]).map {
            Media(id: $0["id"], size: $0["size"], contentType: $0["content_type"])
        }
    }

    /// The uploader, or a member of a conversation where the media was sent.
    public static func mayRead(_ user: String, media id: String, in db: Database) throws -> Bool {
        let uploader = try Bool.fetchOne(
            db, sql: "SELECT 1 FROM media_uploaders WHERE media_id = ? AND user = ?", arguments: [id, user]
        ) ?? false
        if uploader { return true }
        return try Bool.fetchOne(
            db,
            sql: """
                SELECT 1 FROM message_media mm JOIN members m ON m.conv = mm.conv
                WHERE mm.media_id = ? AND m.user = ? LIMIT 1
                """,
            arguments: [id, user]
        ) ?? false
    }

    /// The media ids among `ids` that were never uploaded.
    public static func unknown(_ ids: [String], in db: Database) throws -> [String] {
        try ids.filter { try media($0, in: db) == nil }
    }
}
