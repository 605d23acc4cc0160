import Foundation
import GRDB

/// The tables that are pure folds of the log, as `chat verify` compares them: two stores
/// that applied the same records hold the same rows, in the same canonical order. (The
/// delivery queue is left out: a live node keeps only its own partitions and drops what
/// every device acknowledged.)
public enum ReadModelTables {
    public struct Table: Sendable {
        public var projection: String
        public var name: String
        /// The primary key: the order of a canonical dump.
        public var key: [String]
    }

    public static let verified: [Table] = [
        Table(projection: ConversationProjection.name, name: "conversations", key: ["id"]),
        Table(projection: ConversationProjection.name, name: "members", key: ["conv", "user"]),
        Table(projection: ConversationProjection.name, name: "messages", key: ["conv", "seq"]),
        Table(projection: ConversationProjection.name, name: "message_media", key: ["media_id", "conv", "seq"]),
        Table(projection: MediaProjection.name, name: "media", key: ["id"]),
        Table(projection: MediaProjection.name, name: "media_uploaders", key: ["media_id", "user"]),
    ]

    /// One row as canonical text, and its key alone (to name it in a difference).
    public struct DumpedRow: Sendable, Equatable {
        public var key: String
        public var text: String
    }

    /// Every row of `table` in key order. Columns are named, so the text does not depend on
    /// the order they were added in.
    public static func rows(of table: Table, in db: Database) throws -> RowCursor {
        try Row.fetchCursor(db, sql: "SELECT * FROM \(table.name) ORDER BY \(table.key.joined(separator: ", "))")
    }

    public static func dump(_ row: Row, of table: Table) -> DumpedRow {
        let columns = row.columnNames.sorted()
        let text = columns.map { "\($0)=\(canonical(row[$0] as DatabaseValue))" }.joined(separator: " ")
        let key = table.key.map { "\($0)=\(canonical(row[$0] as DatabaseValue))" }.joined(separator: " ")
        return DumpedRow(key: key, text: text)
    }

    private static func canonical(_ value: DatabaseValue) -> String {
        switch value.storage {
        case .null: "NULL"
        case .int64(let int): String(int)
        case .double(let double): String(double)
        case .string(let string): String(reflecting: string)
        case .blob(let data):
            // The stored states are JSON: readable where a difference is printed.
            String(data: data, encoding: .utf8).map { "b" + String(reflecting: $0) } ?? "x'" + data.map { String(format: "%02x", $0) }.joined() + "'"
        }
    }
}
