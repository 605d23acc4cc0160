import Foundation
import GRDB
@testable import Projections
import Testing

@Suite struct MediaProjectionTests {
    let store: TestDatabase
    let photo = String(repeating: "a1", count: 32)
    let clip = String(repeating: "b2", count: 32)

    init() throws {
        store = try TestDatabase()
    }

    private func upload(_ id: String, by user: String, size: Int64 = 1_234, type: String = "image/jpeg", ts: Int64 = 1, at offset: Int64 = 0)
        -> EventRecord
    {
        record(
            MediaUploaded(mediaId: id, size: size, contentType: type, uploader: user, ts: ts),
            topic: "chat.media", offset: offset, key: id
        )
    }

    private func uploaders(_ id: String) throws -> [String] {
        try store.read { db in
            try String.fetchAll(db, sql: "SELECT user FROM media_uploaders WHERE media_id = ? ORDER BY user", arguments: [id])
        }
    }

    private func mayRead(_ user: String, _ id: String) throws -> Bool {
        try store.read { db in try MediaProjection.mayRead(user, media: id, in: db) }
    }

    @Test func uploadsAreRecordedOnceWithEveryUploader() throws {
        try store.write { db in
            try MediaProjection.apply([
                upload(photo, by: "bob", size: 2_048, type: "image/png", ts: 10, at: 0),
                record(UserRegistered(
                    userId: "u", username: "n", displayName: "d", password: PasswordHash(algorithm: "a", iterations: 1, salt: "s", hash: "h"),
                    ts: 1
                ), topic: "chat.media", offset: 1),
                upload(photo, by: "alice", size: 2_048, type: "image/png", ts: 20, at: 2),
                upload(photo, by: "bob", size: 2_048, type: "image/png", ts: 30, at: 3),
            ], in: db)
        }
        let media = try store.read { db in try MediaProjection.media(photo, in: db) }
        #expect(media == MediaProjection.Media(id: photo, size: 2_048, contentType: "image/png"))
        #expect(try uploaders(photo) == ["alice", "bob"])
        let rows = try store.read { db in try Row.fetchAll(db, sql: "SELECT id, uploaded_at FROM media") }
        #expect(rows.count == 1)
        #expect(rows.first?["uploaded_at"] == 10 as Int64)
        #expect(try store.read { db throws in try MediaProjection.media(clip, in: db) } == nil)
    }

    @Test func whoMayReadMedia() throws {
        let conversations = ConversationProjection()
        try store.write { db in
            try MediaProjection.apply([upload(photo, by: "bob"), upload(clip, by: "dave", at: 1)], in: db)
            _ = try conversations.apply(conversationRecords([
                Make.group("g1", by: "alice", with: ["bob", "carol"]),
                Make.send("bob", to: "g1", id: "b1", body: nil, media: [photo]),
                // Refused: dave is not a member, so the clip is not shared with g1.
                Make.send("dave", to: "g1", id: "d1", body: nil, media: [clip]),
            ]), in: db)
        }
        #expect(try mayRead("bob", photo)) // uploader
        #expect(try mayRead("alice", photo)) // members of g1, where it was sent
        #expect(try mayRead("carol", photo))
        #expect(try !mayRead("dave", photo))
        #expect(try mayRead("dave", clip))
        #expect(try !mayRead("alice", clip))
        #expect(try !mayRead("bob", clip))
        #expect(try !mayRead("bob", "unknown"))

        // Sent in a direct conversation: the peer may read it too; carol leaving g1 loses it.
        try store.write { db in
            _ = try conversations.apply(conversationRecords([
                Make.direct("dave", to: "erin", id: "d2", body: nil, media: [clip]),
                Make.remove("carol", from: "g1", by: "carol"),
            ], from: 3), in: db)
        }
        #expect(try mayRead("erin", clip))
        #expect(try !mayRead("alice", clip))
        #expect(try !mayRead("carol", photo))
        #expect(try mayRead("alice", photo))
    }

    @Test func unknownListsTheIdsNeverUploadedInOrder() throws {
        try store.write { db in try MediaProjection.apply([upload(photo, by: "bob")], in: db) }
        try store.read { db throws in
            #expect(try MediaProjection.unknown([clip, photo, "x", photo], in: db) == [clip, "x"])
            #expect(try MediaProjection.unknown([photo], in: db).isEmpty)
            #expect(try MediaProjection.unknown([], in: db).isEmpty)
        }
    }
}
