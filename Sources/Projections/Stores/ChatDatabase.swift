import Foundation
import GRDB

/// One of a node's SQLite databases: what the projections fold the log into.
///
/// Every projection writes its rows and the offsets it has applied in the same transaction,
/// so a restart resumes exactly after the last applied record and a crash never leaves rows
/// without their offsets (or the reverse).
public final class ChatDatabase: Sendable {
    /// What a database holds. A node keeps its read models and its delivery queue in two files:
    /// SQLite lets one transaction write a file at a time, and the two are written by
    /// different consumers, each on every batch, so in one file each could wait for the other.
    public enum Store: Sendable, CaseIterable {
        /// Conversations, members, history and media, folded from `chat.conversations` and
        /// `chat.media`.
        case readModels
        /// What each user is owed (from `chat.inbox`) and each device's cursor.
        case deliveryQueue

        /// Its file's name in a node's directory (and in what `chat replay` writes).
        public var fileName: String {
            switch self {
            case .readModels: "gateway.sqlite"
            case .deliveryQueue: "deliveries.sqlite"
            }
        }
    }

    public let writer: DatabasePool

    /// Opens (creating and migrating) the database at `path` as `store`.
    public init(path: String, store: Store) throws {
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true
        )
        var configuration = Configuration()
        configuration.prepareDatabase { db in
            // WAL with NORMAL sync: a commit survives a process crash; the log can rebuild
            // anything a power loss takes from the last few commits.
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        writer = try DatabasePool(path: path, configuration: configuration)
        switch store {
        case .readModels: try Self.readModelsMigrator.migrate(writer)
        case .deliveryQueue: try Self.deliveryQueueMigrator.migrate(writer)
        }
    }

    private static func createAppliedOffsets(_ db: Database) throws {
        try db.create(table: "applied_offsets") { table in
            table.column("projection", .text).notNull()
            table.column("topic", .text).notNull()
            table.column("partition", .integer).notNull()
            table.column("next_offset", .integer).notNull()
            table.primaryKey(["projection", "topic", "partition"])
        }
    }

    private static var readModelsMigrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try createAppliedOffsets(db)
            try db.create(table: "conversations") { table in
                table.primaryKey("id", .text)
                table.column("kind", .text).notNull()
                table.column("name", .text)
                table.column("last_seq", .integer).notNull()
                table.column("last_ts", .integer).notNull()
                table.column("created_at", .integer).notNull()
                table.column("state", .blob).notNull()
            }
            try db.create(table: "members") { table in
                table.column("conv", .text).notNull()
                table.column("user", .text).notNull()
                table.column("role", .text).notNull()
                table.column("delivered", .integer).notNull()
                table.column("read", .integer).notNull()
                table.primaryKey(["conv", "user"])
            }
            try db.create(index: "members_by_user", on: "members", columns: ["user"])
            try db.create(table: "messages") { table in
                table.column("conv", .text).notNull()
                table.column("seq", .integer).notNull()
                table.column("msg_id", .text).notNull()
                table.column("sender", .text).notNull()
                table.column("client_id", .text).notNull()
                table.column("body", .text)
                table.column("media", .text)
                table.column("ts", .integer).notNull()
                table.primaryKey(["conv", "seq"])
            }
            try db.create(index: "messages_by_sender", on: "messages", columns: ["conv", "sender", "seq"])
        }
        migrator.registerMigration("v2-media") { db in
            try db.create(table: "media") { table in
                table.primaryKey("id", .text)
                table.column("size", .integer).notNull()
                table.column("content_type", .text).notNull()
                table.column("uploaded_at", .integer).notNull()
            }
            try db.create(table: "media_uploaders") { table in
                table.column("media_id", .text).notNull()
                table.column("user", .text).notNull()
                table.primaryKey(["media_id", "user"])
            }
            try db.create(table: "message_media") { table in
                table.column("media_id", .text).notNull()
                table.column("conv", .text).notNull()
                table.column("seq", .integer).notNull()
                table.primaryKey(["media_id", "conv", "seq"])
            }
        }
        migrator.registerMigration("v3-delivery-queue-apart") { db in
            // Files from before the delivery queue had a file of its own held it here. Its new
            // file starts empty and is filled again from `chat.inbox` and `chat.cursors`, as
            // any projection can be.
            try db.execute(sql: "DROP TABLE IF EXISTS deliveries")
            try db.execute(sql: "DROP TABLE IF EXISTS device_cursors")
            try db.execute(sql: "DELETE FROM applied_offsets WHERE projection = ?", arguments: [DeliveryStore.projection])
        }
        return migrator
    }

    private static var deliveryQueueMigrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try createAppliedOffsets(db)
            try db.create(table: "deliveries") { table in
                table.column("partition", .integer).notNull()
                table.column("dseq", .integer).notNull()
                table.column("user", .text).notNull()
                table.column("origin", .text).notNull().unique()
                table.column("type", .text).notNull()
                table.column("payload", .blob).notNull()
                table.column("conv", .text)
                table.column("seq", .integer)
                table.column("sender", .text)
                table.column("stored_at", .integer).notNull()
                table.primaryKey(["partition", "dseq"])
            }
            try db.create(index: "deliveries_by_user", on: "deliveries", columns: ["user", "dseq"])
            try db.create(table: "device_cursors") { table in
                table.column("user", .text).notNull()
                table.column("device", .text).notNull()
                table.column("acked", .integer).notNull()
                table.primaryKey(["user", "device"])
            }
        }
        return migrator
    }
}

extension ChatDatabase {
    /// Writes what `apply` makes of a batch together with the offsets after it, in one
    /// transaction: a restart resumes exactly after the last batch applied.
    public func apply<Result: Sendable>(
        projection: String, topic: String, next: [Int32: Int64], _ apply: @escaping @Sendable (Database) throws -> Result
    ) async throws -> Result {
        try await writer.write { db in try Self.applying(apply, projection: projection, topic: topic, next: next, in: db) }
    }

    /// The same, blocking the calling thread: for a consumer applying batches on its own
    /// thread (an uncontended write runs right there, without a hop to the writer's queue).
    public func apply<Result>(projection: String, topic: String, next: [Int32: Int64], _ apply: (Database) throws -> Result) throws -> Result {
        try writer.write { db in try Self.applying(apply, projection: projection, topic: topic, next: next, in: db) }
    }

    private static func applying<Result>(
        _ apply: (Database) throws -> Result, projection: String, topic: String, next: [Int32: Int64], in db: Database
    ) throws -> Result {
        let result = try apply(db)
        try AppliedOffsets.store(db, projection: projection, topic: topic, next: next)
        return result
    }
}

/// The offsets a projection has applied, per topic partition.
public enum AppliedOffsets {
    public static func load(_ db: Database, projection: String, topic: String) throws -> [Int32: Int64] {
        let rows = try Row.fetchAll(
            db, sql: "SELECT partition, next_offset FROM applied_offsets WHERE projection = ? AND topic = ?",
            arguments: [projection, topic]
        )
        return Dictionary(uniqueKeysWithValues: rows.map { (Int32($0["partition"] as Int64), $0["next_offset"] as Int64) })
    }

    public static func store(_ db: Database, projection: String, topic: String, partition: Int32, next: Int64) throws {
        try db.run(
            sql: """
                INSERT INTO applied_offsets (projection, topic, partition, next_offset) VALUES (?, ?, ?, ?)
                ON CONFLICT (projection, topic, partition) DO UPDATE SET next_offset = excluded.next_offset
                """,
            arguments: [projection, topic, partition, next]
        )
    }

    /// Stores the next offset of every partition in `next`.
    public static func store(_ db: Database, projection: String, topic: String, next: [Int32: Int64]) throws {
        for (partition, offset) in next { try store(db, projection: projection, topic: topic, partition: partition, next: offset) }
    }

    public static func forget(_ db: Database, projection: String, topic: String, partition: Int32) throws {
        try db.run(
            sql: "DELETE FROM applied_offsets WHERE projection = ? AND topic = ? AND partition = ?",
            arguments: [projection, topic, partition]
        )
    }
}

extension Database {
    /// Executes `sql` through the connection's statement cache. Projections run the same few
    /// statements for every record; compiling each one again was a large share of their cost.
    func run(sql: String, arguments: StatementArguments) throws {
        try cachedStatement(sql: sql).execute(arguments: arguments)
    }
}
