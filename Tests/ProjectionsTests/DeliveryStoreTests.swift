import Foundation
import GRDB
@testable import Projections
import Testing

@Suite struct DeliveryStoreTests {
    let store: TestDatabase

    init() throws {
        store = try TestDatabase(store: .deliveryQueue)
    }

    private func message(
        _ origin: String, to user: String, from: String, conv: String = "g1", seq: Int64
    ) -> MessageDelivery {
        MessageDelivery(
            id: origin, msgId: "\(conv).\(seq)", conv: conv, seq: seq, from: from, groupId: conv.hasPrefix("g") ? conv : nil,
            body: "m\(seq)", media: nil, ts: 100 + seq, originDevice: from == user ? "phone" : nil, ref: from == user ? "c\(seq)" : nil
        )
    }

    private func inbox<Event: ChatEvent>(_ event: Event, to user: String, at dseq: Int64, partition: Int32 = 2) -> EventRecord {
        record(event, topic: "chat.inbox", partition: partition, offset: dseq, key: user)
    }

    @discardableResult
    private func apply(_ records: [EventRecord], now: Int64 = 1_000) throws -> [StoredDelivery] {
        try store.write { db in try DeliveryStore.apply(records, now: now, in: db) }
    }

    private func pending(_ user: String, after cursor: Int64, limit: Int = 10_000) throws -> [StoredDelivery] {
        try store.read { db in try DeliveryStore.pending(for: user, after: cursor, limit: limit, in: db) }
    }

    // MARK: - Apply

    @Test func newRecordsAreStoredAndRepeatedOriginsSkipped() throws {
        let first = message("o/0@1#0", to: "bob", from: "alice", seq: 1)
        let receipt = ReceiptDelivery(id: "o/0@2#0", conv: "g1", by: "carol", status: "read", upTo: 1, ts: 5)
        let stored = try apply([inbox(first, to: "bob", at: 10), inbox(receipt, to: "bob", at: 11)])
        #expect(stored == [
            StoredDelivery(dseq: 10, user: "bob", event: .message(first)),
            StoredDelivery(dseq: 11, user: "bob", event: .receipt(receipt)),
        ])
        // The processor wrote its outputs again (same origins, new offsets), with one new record.
        let second = message("o/0@3#0", to: "bob", from: "alice", seq: 2)
        let again = try apply([inbox(first, to: "bob", at: 12), inbox(second, to: "bob", at: 13), inbox(receipt, to: "bob", at: 14)])
        #expect(again == [StoredDelivery(dseq: 13, user: "bob", event: .message(second))])
        // The very same records once more: nothing new.
        #expect(try apply([inbox(first, to: "bob", at: 10), inbox(second, to: "bob", at: 13)]).isEmpty)
        #expect(try pending("bob", after: -1).map(\.dseq) == [10, 11, 13])
    }

    @Test func recordsThatAreNotInboxEventsAreIgnored() throws {
        let foreign = record(MessagesRead(conv: "g1", user: "bob", upTo: 1, ts: 1), topic: "chat.inbox", offset: 1, key: "bob")
        let garbage = EventRecord(topic: "chat.inbox", partition: 0, offset: 2, key: "bob", type: "SendRepeated", version: 1, value: Data("[]".utf8))
        let newer = inbox(SendRejected(id: "x", device: "d", ref: "r", code: "invalid", message: "m"), to: "bob", at: 3)
        var newerVersion = newer
        newerVersion.version = 2
        #expect(try apply([foreign, garbage, newerVersion]).isEmpty)
        #expect(try pending("bob", after: -1).isEmpty)
        #expect(try apply([newer]).map(\.dseq) == [3])
    }

    @Test func pendingIsInDseqOrderPerUser() throws {
        let records = [
            inbox(message("a#0", to: "bob", from: "alice", seq: 1), to: "bob", at: 0),
            inbox(message("a#1", to: "alice", from: "alice", seq: 1), to: "alice", at: 1),
            inbox(SendRepeated(id: "b#0", device: "phone", ref: "c1", msgId: "g1.1", conv: "g1", seq: 1, ts: 4), to: "alice", at: 3),
            inbox(SendRejected(id: "c#0", device: "web", ref: "c9", code: "forbidden", message: "no"), to: "bob", at: 5),
            inbox(ReceiptDelivery(id: "d#0", conv: "g1", by: "bob", status: "delivered", upTo: 1, ts: 6), to: "alice", at: 6),
            inbox(message("e#0", to: "bob", from: "carol", seq: 2), to: "bob", at: 8),
        ]
        // Applied out of order (two batches), read back in dseq order.
        try apply(Array(records.suffix(3)))
        try apply(Array(records.prefix(3)))
        let bob = try pending("bob", after: -1)
        #expect(bob.map(\.dseq) == [0, 5, 8])
        #expect(bob.map(\.event.id) == ["a#0", "c#0", "e#0"])
        #expect(bob.allSatisfy { $0.user == "bob" })
        #expect(bob[1].event == .rejected(SendRejected(id: "c#0", device: "web", ref: "c9", code: "forbidden", message: "no")))
        #expect(try pending("alice", after: -1).map(\.dseq) == [1, 3, 6])
        #expect(try pending("bob", after: 0).map(\.dseq) == [5, 8])
        #expect(try pending("bob", after: 5).map(\.dseq) == [8])
        #expect(try pending("bob", after: 8).isEmpty)
        #expect(try pending("bob", after: -1, limit: 2).map(\.dseq) == [0, 5])
        #expect(try pending("carol", after: -1).isEmpty)
    }

    // MARK: - Cursors

    @Test func cursorsAdvanceButNeverMoveBack() throws {
        func cursor(_ device: String) throws -> Int64? {
            try store.read { db in try DeliveryStore.cursor(user: "bob", device: device, in: db) }
        }
        #expect(try cursor("phone") == nil)
        for (acked, expected): (Int64, Int64) in [(5, 5), (3, 5), (5, 5), (9, 9), (-1, 9)] {
            try store.write { db in try DeliveryStore.advance(user: "bob", device: "phone", to: acked, in: db) }
            #expect(try cursor("phone") == expected)
        }
        try store.write { db in try DeliveryStore.advance(user: "bob", device: "web", to: 2, in: db) }
        #expect(try cursor("web") == 2)
        #expect(try cursor("phone") == 9)
        try store.read { db throws in
            #expect(try DeliveryStore.cursor(user: "alice", device: "phone", in: db) == nil)
        }
    }

    @Test func highestCursorIsTheMaximumOverDevices() throws {
        try store.read { db throws in #expect(try DeliveryStore.highestCursor(user: "bob", in: db) == nil) }
        try store.write { db in
            try DeliveryStore.advance(user: "bob", device: "phone", to: 4, in: db)
            try DeliveryStore.advance(user: "bob", device: "web", to: 11, in: db)
            try DeliveryStore.advance(user: "bob", device: "tablet", to: -1, in: db)
            try DeliveryStore.advance(user: "alice", device: "phone", to: 50, in: db)
        }
        try store.read { db throws in
            #expect(try DeliveryStore.highestCursor(user: "bob", in: db) == 11)
            #expect(try DeliveryStore.highestCursor(user: "alice", in: db) == 50)
            #expect(try DeliveryStore.highestCursor(user: "carol", in: db) == nil)
        }
    }

    // MARK: - Delivered messages

    @Test func deliveredMessagesAreTheHighestSeqPerConversationFromOthers() throws {
        try apply([
            inbox(message("o#10", to: "bob", from: "alice", conv: "g1", seq: 1), to: "bob", at: 10),
            inbox(ReceiptDelivery(id: "o#11", conv: "g1", by: "carol", status: "read", upTo: 1, ts: 3), to: "bob", at: 11),
            inbox(message("o#12", to: "bob", from: "bob", conv: "g1", seq: 2), to: "bob", at: 12),
            inbox(message("o#13", to: "bob", from: "carol", conv: "g1", seq: 3), to: "bob", at: 13),
            inbox(message("o#14", to: "bob", from: "alice", conv: "d-alice-bob", seq: 7), to: "bob", at: 14),
            inbox(message("o#15", to: "bob", from: "bob", conv: "g1", seq: 4), to: "bob", at: 15),
            inbox(message("o#16", to: "alice", from: "carol", conv: "g1", seq: 3), to: "alice", at: 16),
            inbox(message("o#20", to: "bob", from: "alice", conv: "d-alice-bob", seq: 8), to: "bob", at: 20),
        ])
        func delivered(_ user: String, after: Int64, upTo: Int64) throws -> [String: Int64] {
            try store.read { db in try DeliveryStore.deliveredMessages(user: user, after: after, upTo: upTo, in: db) }
        }
        #expect(try delivered("bob", after: 9, upTo: 16) == ["g1": 3, "d-alice-bob": 7])
        #expect(try delivered("bob", after: 10, upTo: 14) == ["g1": 3, "d-alice-bob": 7])
        #expect(try delivered("bob", after: 9, upTo: 12) == ["g1": 1])
        // Only the receipt and bob's own messages.
        #expect(try delivered("bob", after: 10, upTo: 12) == [:])
        #expect(try delivered("bob", after: 14, upTo: 15) == [:])
        #expect(try delivered("bob", after: -1, upTo: 100) == ["g1": 3, "d-alice-bob": 8])
        #expect(try delivered("alice", after: -1, upTo: 100) == ["g1": 3])
        #expect(try delivered("carol", after: -1, upTo: 100) == [:])
    }

    // MARK: - Pruning

    @Test func pruneDropsAckedRowsAfterKeepAckedAndEverythingAfterKeepAll() throws {
        try apply([
            inbox(message("o#1", to: "bob", from: "alice", seq: 1), to: "bob", at: 1),
            inbox(message("o#2", to: "carol", from: "alice", seq: 1), to: "carol", at: 2),
            inbox(message("o#3", to: "bob", from: "alice", seq: 2), to: "bob", at: 3),
            inbox(message("o#4", to: "bob", from: "alice", seq: 3), to: "bob", at: 4),
            inbox(message("o#6", to: "alice", from: "carol", seq: 4), to: "alice", at: 6),
        ], now: 1_000)
        try apply([
            inbox(message("o#7", to: "bob", from: "alice", seq: 5), to: "bob", at: 7),
            inbox(message("o#8", to: "carol", from: "alice", seq: 5), to: "carol", at: 8),
        ], now: 5_000)
        try store.write { db in
            // bob's devices have both acknowledged up to 3; carol's one device everything; alice none.
            try DeliveryStore.advance(user: "bob", device: "phone", to: 5, in: db)
            try DeliveryStore.advance(user: "bob", device: "web", to: 3, in: db)
            try DeliveryStore.advance(user: "carol", device: "phone", to: 100, in: db)
        }
        func remaining() throws -> [Int64] {
            try store.read { db in try Int64.fetchAll(db, sql: "SELECT dseq FROM deliveries ORDER BY dseq") }
        }
        func prune(now: Int64, keepAcked: Int64, keepAll: Int64) throws -> Int {
            try store.write { db in try DeliveryStore.prune(now: now, keepAcked: keepAcked, keepAll: keepAll, limit: 100, in: db) }
        }
        // Nothing is old enough yet.
        #expect(try prune(now: 5_000, keepAcked: 4_000, keepAll: 100_000) == 0)
        #expect(try remaining() == [1, 2, 3, 4, 6, 7, 8])
        // Rows stored before 5,000 that every device acknowledged: bob's 1 and 3, carol's 2.
        #expect(try prune(now: 10_000, keepAcked: 5_000, keepAll: 100_000) == 3)
        #expect(try remaining() == [4, 6, 7, 8])
        // Before 4,500 whatever their state (bob's 4, alice's 6); acknowledged before 195,000: carol's 8.
        #expect(try prune(now: 200_000, keepAcked: 5_000, keepAll: 195_500) == 3)
        #expect(try remaining() == [7])
        #expect(try pending("bob", after: -1).map(\.dseq) == [7])
        // A pruned origin is no longer recognised as a repeat: that is what keepAcked bounds.
        #expect(try apply([inbox(message("o#1", to: "bob", from: "alice", seq: 1), to: "bob", at: 1)], now: 200_000).map(\.dseq) == [1])
    }

    @Test func pruneKeepsUnacknowledgedRowsUntilKeepAll() throws {
        try apply([inbox(message("o#1", to: "bob", from: "alice", seq: 1), to: "bob", at: 1)], now: 0)
        // No device of bob ever acknowledged anything.
        #expect(try store.write { db throws in try DeliveryStore.prune(now: 1_000_000, keepAcked: 1, keepAll: 2_000_000, limit: 100, in: db) } == 0)
        // Stored exactly at the keepAll boundary is kept; one millisecond later it goes.
        #expect(try store.write { db throws in try DeliveryStore.prune(now: 1_000, keepAcked: 1, keepAll: 1_000, limit: 100, in: db) } == 0)
        #expect(try store.write { db throws in try DeliveryStore.prune(now: 1_001, keepAcked: 1, keepAll: 1_000, limit: 100, in: db) } == 1)
        #expect(try pending("bob", after: -1).isEmpty)
    }

    @Test func pruneTakesAtMostItsLimitPerCall() throws {
        try apply((1...5).map { inbox(message("o#\($0)", to: "bob", from: "alice", seq: Int64($0)), to: "bob", at: Int64($0)) }, now: 0)
        func prune() throws -> Int {
            try store.write { db in try DeliveryStore.prune(now: 10, keepAcked: 1, keepAll: 5, limit: 2, in: db) }
        }
        #expect(try prune() == 2)
        #expect(try pending("bob", after: -1).count == 3)
        #expect(try prune() == 2)
        #expect(try prune() == 1)
        #expect(try prune() == 0)
    }
}
