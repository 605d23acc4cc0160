import ChatClient
import Foundation
import Testing
import TestSupport

/// One-to-one chat through the real system: `chat serve` (embedded broker, processor,
/// gateway) and WebSocket clients.
@Suite(.timeLimit(.minutes(3)))
struct DirectMessageTests {
    @Test func sentDeliveredAndReadReceipts() async throws {
        let server = try await SharedServer.get()
        let alice = try await server.user(SharedServer.name("alice"))
        let bob = try await server.user(SharedServer.name("bob"))
        let a = try await alice.connect()
        let b = try await bob.connect()

        try await a.send(id: "c1", toUser: bob.id, body: "hello bob")
        let sent = try await a.next(type: "sent")
        #expect(sent["ref"]?.string == "c1")
        #expect(sent["seq"]?.int == 1)
        let conv = try #require(sent["conv"]?.string)
        #expect(conv == "d-" + [alice.id, bob.id].sorted().joined(separator: "-"))

        let message = try await b.next(type: "message")
        #expect(message["body"]?.string == "hello bob")
        #expect(message["from"]?.string == alice.id)
        #expect(message["conv"]?.string == conv)
        #expect(message["seq"]?.int == 1)
        #expect(message["msg_id"] == sent["msg_id"])
        let dseq = try #require(message["dseq"]?.int)

        try await b.ack(dseq)
        let delivered = try await a.next(type: "receipt")
        #expect(delivered["status"]?.string == "delivered")
        #expect(delivered["by"]?.string == bob.id)
        #expect(delivered["up_to"]?.int == 1)
        #expect(delivered["conv"]?.string == conv)
        #expect(delivered["dseq"]?.int != nil)

        try await b.send(["type": "read", "conv": conv, "up_to": 1])
        let read = try await a.next(type: "receipt")
        #expect(read["status"]?.string == "read")
        #expect(read["by"]?.string == bob.id)
        #expect(read["up_to"]?.int == 1)

        // The same conversation id from both sides.
        try await b.send(id: "r1", toUser: alice.id, body: "hi alice")
        let reply = try await b.next(type: "sent")
        #expect(reply["conv"]?.string == conv)
        #expect(reply["seq"]?.int == 2)
        #expect(try await a.next(type: "message")["seq"]?.int == 2)
        await a.close()
        await b.close()
    }

    @Test func offlineRecipientGetsEverythingOnceInOrder() async throws {
        let server = try await SharedServer.get()
        let alice = try await server.user(SharedServer.name("alice"))
        let bob = try await server.user(SharedServer.name("bob"))
        let a = try await alice.connect()
        for index in 1...500 {
            try await a.send(id: "m\(index)", toUser: bob.id, body: "message \(index)")
        }
        let sent = try await a.collect(500, type: "sent")
        #expect(sent.map { $0["seq"]?.int } == (1...500).map { Int64($0) })

        let b = try await bob.connect()
        let received = try await b.collect(500, type: "message")
        #expect(received.map { $0["seq"]?.int } == (1...500).map { Int64($0) })
        #expect(received.map { $0["body"]?.string } == (1...500).map { "message \($0)" })
        let dseqs = received.compactMap { $0["dseq"]?.int }
        #expect(dseqs == dseqs.sorted() && Set(dseqs).count == 500, "dseq strictly increasing")
        #expect(try await b.drain(for: .milliseconds(300)).filter { $0["type"]?.string == "message" }.isEmpty)
        try await b.ack(dseqs.last!)
        try await Task.sleep(for: .milliseconds(300))
        await b.close()

        // Acknowledged deliveries are not sent again.
        let again = try await bob.connect()
        #expect(try await again.drain(for: .seconds(1)).filter { $0["type"]?.string == "message" }.isEmpty)
        await again.close()

        // While bob is away, more arrive; a brand-new device starts after what was acked.
        for index in 501...510 {
            try await a.send(id: "m\(index)", toUser: bob.id, body: "message \(index)")
        }
        _ = try await a.collect(10, type: "sent")
        let tablet = try await bob.connect(device: "tablet")
        let fresh = try await tablet.collect(10, type: "message")
        #expect(fresh.map { $0["seq"]?.int } == (501...510).map { Int64($0) })
        #expect(try await tablet.drain(for: .milliseconds(500)).filter { $0["type"]?.string == "message" }.isEmpty)
        await tablet.close()
        await a.close()
    }

    /// Owed more than the delivery queue hands over in one read, and more than a session may
    /// hold queued at once (here 1,000 frames, the server's bound): a device back from a long
    /// absence still gets all of it, in order and once each, and what is sent during its
    /// catch-up follows without a gap.
    @Test func aLongAbsenceIsCaughtUpInFullWhileNewMessagesArrive() async throws {
        let queueBound = 1_000
        let away = queueBound * 5 / 2
        let live = 100
        // A server of its own, with a small bound so that the backlog can exceed it without
        // the load of ten thousand messages slowing the other suites' servers.
        let server = try await ChatServer.start(extraArguments: ["--max-queued-frames", "\(queueBound)"])
        let alice = try await server.user(SharedServer.name("alice"))
        let bob = try await server.user(SharedServer.name("bob"))
        let a = try await alice.connect()
        for index in 1...away {
            try await a.send(id: "m\(index)", toUser: bob.id, body: "message \(index)")
        }
        _ = try await a.collect(away, type: "sent", timeout: .seconds(150))

        let b = try await bob.connect()
        for index in away + 1...away + live {
            try await a.send(id: "m\(index)", toUser: bob.id, body: "message \(index)")
        }
        let received = try await b.collect(away + live, type: "message", timeout: .seconds(150))
        #expect(received.map { $0["seq"]?.int } == (1...away + live).map { Int64($0) })
        #expect(received.last?["body"]?.string == "message \(away + live)")
        let dseqs = received.compactMap { $0["dseq"]?.int }
        #expect(dseqs.count == away + live && zip(dseqs, dseqs.dropFirst()).allSatisfy { $0 < $1 }, "dseq strictly increasing")
        #expect(try await b.drain(for: .milliseconds(300)).filter { $0["type"]?.string == "message" }.isEmpty)
        await b.close()
        await a.close()
        _ = try await server.stop()
    }

    @Test func everyDeviceReceivesAndTheSendersOtherDevicesGetTheEcho() async throws {
        let server = try await SharedServer.get()
        let alice = try await server.user(SharedServer.name("alice"))
        let bob = try await server.user(SharedServer.name("bob"))
        let alicePhone = try await alice.connect(device: "phone")
        let aliceLaptop = try await alice.connect(device: "laptop")
        let bobPhone = try await bob.connect(device: "phone")
        let bobLaptop = try await bob.connect(device: "laptop")

        try await alicePhone.send(id: "x1", toUser: bob.id, body: "to all of bob")
        let sent = try await alicePhone.next(type: "sent")
        #expect(sent["ref"]?.string == "x1")
        let echo = try await aliceLaptop.next(type: "message")
        #expect(echo["from"]?.string == alice.id)
        #expect(echo["body"]?.string == "to all of bob")
        #expect(echo["msg_id"] == sent["msg_id"])
        for device in [bobPhone, bobLaptop] {
            let message = try await device.next(type: "message")
            #expect(message["body"]?.string == "to all of bob")
            #expect(message["msg_id"] == sent["msg_id"])
        }
        // The sending device gets `sent`, never its own message.
        #expect(try await alicePhone.drain(for: .milliseconds(300)).filter { $0["type"]?.string == "message" }.isEmpty)
        for device in [alicePhone, aliceLaptop, bobPhone, bobLaptop] { await device.close() }
    }

    @Test func repeatedClientIdAppendsOnceAndAnswersTheSameSent() async throws {
        let server = try await SharedServer.get()
        let alice = try await server.user(SharedServer.name("alice"))
        let bob = try await server.user(SharedServer.name("bob"))
        let a = try await alice.connect()
        let b = try await bob.connect()
        try await a.send(id: "same", toUser: bob.id, body: "once")
        let first = try await a.next(type: "sent")
        try await a.send(id: "same", toUser: bob.id, body: "once")
        let second = try await a.next(type: "sent")
        #expect(first["msg_id"] == second["msg_id"])
        #expect(first["seq"] == second["seq"])
        #expect(first["ts"] == second["ts"])
        #expect(second["ref"]?.string == "same")
        _ = try await b.next(type: "message")
        #expect(try await b.drain(for: .milliseconds(500)).filter { $0["type"]?.string == "message" }.isEmpty)
        let history = try await alice.http("GET", "/v1/conversations/\(first["conv"]!.string!)/messages")
        #expect(history.json?["messages"]?.array?.count == 1)
        await a.close()
        await b.close()
    }
}
