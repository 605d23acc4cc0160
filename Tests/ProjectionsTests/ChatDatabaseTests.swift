import GRDB
import Testing
import TestSupport
@testable import Projections

/// A node's two databases, and the files from before they were two.
@Suite struct ChatDatabaseTests {
    private func tables(_ database: ChatDatabase) throws -> Set<String> {
        try database.writer.read { db in
            Set(try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'grdb%'"))
        }
    }

    @Test func eachStoreHoldsItsOwnTables() throws {
        let readModels = try TestDatabase(store: .readModels)
        let deliveryQueue = try TestDatabase(store: .deliveryQueue)
        #expect(try tables(readModels.database) == [
            "applied_offsets", "conversations", "members", "messages", "media", "media_uploaders", "message_media",
        ])
        #expect(try tables(deliveryQueue.database) == ["applied_offsets", "deliveries", "device_cursors"])
    }

    /// Such a file held the delivery queue beside the read models; opened now, the queue's
    /// tables and offsets go (its own file is filled again from the log), the rest stays.
    @Test func aFileFromBeforeTheSplitKeepsItsReadModelsOnly() throws {
        let store = try TestDatabase(store: .readModels)
        let path = store.directory.child("db/chat.sqlite")
        try store.write { db in
            try db.execute(sql: "CREATE TABLE deliveries (partition INTEGER, dseq INTEGER, user TEXT)")
            try db.execute(sql: "CREATE TABLE device_cursors (user TEXT, device TEXT, acked INTEGER)")
            try db.execute(sql: "INSERT INTO deliveries VALUES (0, 7, 'u1')")
            try AppliedOffsets.store(db, projection: DeliveryStore.projection, topic: "chat.inbox", partition: 0, next: 8)
            try AppliedOffsets.store(db, projection: ConversationProjection.name, topic: "chat.conversations", partition: 3, next: 42)
            try db.execute(sql: "DELETE FROM grdb_migrations WHERE identifier = 'v3-delivery-queue-apart'")
        }

        let reopened = try ChatDatabase(path: path, store: .readModels)
        let left = try tables(reopened)
        #expect(!left.contains("deliveries") && !left.contains("device_cursors"))
        #expect(left.contains("messages"))
        let (inbox, conversations) = try reopened.writer.read { db in
            (
                try AppliedOffsets.load(db, projection: DeliveryStore.projection, topic: "chat.inbox"),
                try AppliedOffsets.load(db, projection: ConversationProjection.name, topic: "chat.conversations")
            )
        }
        #expect(inbox.isEmpty)
        #expect(conversations == [3: 42])
    }
}
