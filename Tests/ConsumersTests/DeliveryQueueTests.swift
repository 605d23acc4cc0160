@testable import Consumers
import Foundation
import GRDB
import Projections
import Testing
import TestSupport

/// The delivery queue stores behind the push: rows it admitted are part of every answer
/// (catch-up pages, the receipts of an ack) before their transaction, repeats are dropped
/// whether the original waits or is stored, and a store writes the rows with the offsets after
/// everything admitted.
@Suite struct DeliveryQueueTests {
    let directory: TemporaryDirectory
    let database: ChatDatabase

    init() throws {
        directory = try TemporaryDirectory(prefix: "delivery-queue")
        database = try ChatDatabase(path: directory.child("deliveries.sqlite"), store: .deliveryQueue)
    }

    private func queue(storeAfter: Duration = .seconds(3600)) -> DeliveryQueue {
        DeliveryQueue(database: database, topic: "chat.inbox", storeAfter: storeAfter)
    }

    /// A message from `from` to `user` at `dseq` of partition 3, its origin named after its seq.
    private func row(_ seq: Int64, to user: String = "bob", from: String = "alice", at dseq: Int64, origin: String? = nil) -> DeliveryRow {
        let message = MessageDelivery(
            id: origin ?? "chat.conversations/0@\(seq)#1", msgId: "d.\(seq)", conv: "d", seq: seq, from: from, groupId: nil,
            body: "m\(seq)", media: nil, ts: seq, originDevice: nil, ref: nil
        )
        let record = EventRecord(
            topic: "chat.inbox", partition: 3, offset: dseq, key: user, type: MessageDelivery.type, version: MessageDelivery.version,
            value: EventCoding.encode(message)
        )
        return DeliveryStore.rows(of: [record], now: 1_000)[0]
    }

    private func storedRows() throws -> [Int64] {
        try database.writer.read { db in try Int64.fetchAll(db, sql: "SELECT dseq FROM deliveries ORDER BY dseq") }
    }

    private func appliedOffsets() throws -> [Int32: Int64] {
        try database.writer.read { db in try AppliedOffsets.load(db, projection: DeliveryStore.projection, topic: "chat.inbox") }
    }

    @Test func admittedRowsAreNotStoredUntilDueAndThenWithTheirOffsets() throws {
        let deliveries = queue()
        let fresh = try deliveries.admit([row(1, at: 10), row(2, at: 11)], next: [3: 12])
        #expect(fresh.map(\.delivery.dseq) == [10, 11])
        try deliveries.storeIfDue(force: false)
        #expect(try storedRows().isEmpty)
        #expect(try appliedOffsets().isEmpty)

        // A batch without deliveries moves the offsets all the same.
        #expect(try deliveries.admit([], next: [3: 15]).isEmpty)
        try deliveries.storeIfDue(force: true)
        #expect(try storedRows() == [10, 11])
        #expect(try appliedOffsets() == [3: 15])
        // Nothing waits any more: a second store writes nothing.
        try deliveries.storeIfDue(force: true)
        #expect(try storedRows() == [10, 11])
    }

    @Test func rowsAreStoredOnceTheyHaveWaitedLongEnough() async throws {
        let deliveries = queue(storeAfter: .milliseconds(50))
        _ = try deliveries.admit([row(1, at: 10)], next: [3: 11])
        try deliveries.storeIfDue(force: false)
        #expect(try storedRows().isEmpty)
        try await Task.sleep(for: .milliseconds(60))
        try deliveries.storeIfDue(force: false)
        #expect(try storedRows() == [10])
    }

    @Test func repeatsAreDroppedWhetherTheOriginalWaitsOrIsStored() throws {
        let deliveries = queue()
        _ = try deliveries.admit([row(1, at: 10), row(2, at: 11)], next: [3: 12])
        // The processor wrote its outputs again: the same origins at new offsets, and a repeat
        // within one batch.
        let again = try deliveries.admit([row(1, at: 12), row(3, at: 13), row(3, at: 14)], next: [3: 15])
        #expect(again.map(\.delivery.dseq) == [13])
        try deliveries.storeIfDue(force: true)
        let later = try deliveries.admit([row(2, at: 15), row(4, at: 16)], next: [3: 17])
        #expect(later.map(\.delivery.dseq) == [16])
        try deliveries.storeIfDue(force: true)
        #expect(try storedRows() == [10, 11, 13, 16])
    }

    @Test func aCatchUpSeesStoredAndWaitingRowsInOrderOncePerPage() async throws {
        let deliveries = queue()
        _ = try deliveries.admit((1...5).map { row(Int64($0), at: Int64(9 + $0)) }, next: [3: 15])
        try deliveries.storeIfDue(force: true)
        _ = try deliveries.admit((6...8).map { row(Int64($0), at: Int64(9 + $0)) } + [row(100, to: "carol", at: 18)], next: [3: 19])

        #expect(try await deliveries.pending(for: "bob", after: -1, limit: 100).map(\.dseq) == Array(10...17))
        // Pages: a full page of stored rows comes alone, the rest follows from where it ended.
        #expect(try await deliveries.pending(for: "bob", after: -1, limit: 3).map(\.dseq) == [10, 11, 12])
        #expect(try await deliveries.pending(for: "bob", after: 12, limit: 3).map(\.dseq) == [13, 14, 15])
        #expect(try await deliveries.pending(for: "bob", after: 15, limit: 3).map(\.dseq) == [16, 17])
        #expect(try await deliveries.pending(for: "bob", after: 17, limit: 3).isEmpty)
        #expect(try await deliveries.pending(for: "carol", after: -1, limit: 3).map(\.dseq) == [18])
        // Stored meanwhile: the same answer, no row twice.
        try deliveries.storeIfDue(force: true)
        #expect(try await deliveries.pending(for: "bob", after: 12, limit: 100).map(\.dseq) == Array(13...17))
    }

    @Test func anAckSeesWhatItCoversWhetherStoredOrWaiting() throws {
        let deliveries = queue()
        _ = try deliveries.admit([row(1, at: 10), row(2, at: 11)], next: [3: 12])
        try deliveries.storeIfDue(force: true)
        // bob's own message (an echo) is no delivery to report to anyone.
        _ = try deliveries.admit([row(3, at: 12), row(4, from: "bob", at: 13), row(5, at: 14)], next: [3: 15])
        let delivered = { (after: Int64, upTo: Int64) in
            try database.writer.write { db in try deliveries.deliveredMessages(user: "bob", after: after, upTo: upTo, in: db) }
        }
        #expect(try delivered(-1, 11) == ["d": 2])
        #expect(try delivered(-1, 13) == ["d": 3])
        #expect(try delivered(11, 14) == ["d": 5])
        #expect(try delivered(14, 100) == [:])
    }
}
