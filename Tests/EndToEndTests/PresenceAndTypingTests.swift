import ChatClient
import Foundation
import Testing
import TestSupport

/// Presence and typing, through a server with a short presence timeout.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct PresenceAndTypingTests {
    static let server = Task { try await ChatServer.start(extraArguments: ["--presence-timeout", "3"]) }

    @Test func contactsSeeOnlineAndOfflineAndLastSeenIsKept() async throws {
        let server = try await Self.server.value
        let alice = try await server.user(SharedServer.name("alice"))
        let bob = try await server.user(SharedServer.name("bob"))
        let stranger = try await server.user(SharedServer.name("stranger"))
        // Alice and Bob share a conversation; the stranger shares none with Bob.
        let a = try await alice.connect()
        a.keepAlive()
        try await a.send(id: "hi", toUser: bob.id, body: "hi")
        _ = try await a.next(type: "sent")
        let s = try await stranger.connect()
        s.keepAlive()
        try await Task.sleep(for: .seconds(2.5))  // past the presence throttle of the first connects

        let b = try await bob.connect()
        b.keepAlive()
        let online = try await a.next { $0["type"]?.string == "presence" && $0["user"]?.string == bob.id }
        #expect(online["online"]?.bool == true)
        let profile = try await alice.http("GET", "/v1/users/\(bob.username)")
        #expect(profile.json?["online"]?.bool == true)

        await b.close()
        let offline = try await a.next(timeout: .seconds(10)) { $0["type"]?.string == "presence" && $0["user"]?.string == bob.id }
        #expect(offline["online"]?.bool == false)
        let lastSeen = try #require(offline["last_seen"]?.int)
        #expect(abs(lastSeen - Int64(Date().timeIntervalSince1970 * 1000)) < 15_000)
        try await Task.sleep(for: .milliseconds(300))
        let after = try await alice.http("GET", "/v1/users/\(bob.id)")
        #expect(after.json?["online"]?.bool == false)
        #expect(after.json?["last_seen"]?.int == lastSeen)

        #expect(try await s.drain(for: .milliseconds(300)).allSatisfy { $0["user"]?.string != bob.id }, "only contacts hear")
        await a.close()
        await s.close()
    }

    @Test func aClientThatStopsPingingGoesOffline() async throws {
        let server = try await Self.server.value
        let alice = try await server.user(SharedServer.name("alice"))
        let bob = try await server.user(SharedServer.name("bob"))
        let a = try await alice.connect()
        a.keepAlive()
        try await a.send(id: "hi", toUser: bob.id, body: "hi")
        _ = try await a.next(type: "sent")
        try await Task.sleep(for: .seconds(2.5))
        let b = try await bob.connect()
        _ = try await a.next { $0["type"]?.string == "presence" && $0["online"]?.bool == true }
        // Alice keeps pinging; Bob says nothing and is closed after the 3 s timeout.
        let started = ContinuousClock.now
        let offline = try await a.next(timeout: .seconds(12)) {
            $0["type"]?.string == "presence" && $0["user"]?.string == bob.id && $0["online"]?.bool == false
        }
        #expect(offline["last_seen"]?.int != nil)
        #expect(ContinuousClock.now - started < .seconds(10))
        let closed = try await b.next(type: "error")
        #expect(closed["code"]?.string == "timeout")
        await a.close()
        await b.close()
    }

    @Test func typingReachesOnlineMembersOnlyAndIsNeverReplayed() async throws {
        let server = try await Self.server.value
        let alice = try await server.user(SharedServer.name("alice"))
        let bob = try await server.user(SharedServer.name("bob"))
        let carol = try await server.user(SharedServer.name("carol"))
        let group = try await alice.http("POST", "/v1/groups", ["name": "typists", "members": [bob.id, carol.id]])
        let conv = try #require(group.json?["group_id"]?.string)
        let a = try await alice.connect()
        let b = try await bob.connect()
        a.keepAlive()
        b.keepAlive()

        try await a.send(["type": "typing", "conv": conv])
        let typing = try await b.next(type: "typing")
        #expect(typing["conv"]?.string == conv)
        #expect(typing["from"]?.string == alice.id)
        #expect(try await a.drain(for: .milliseconds(300)).allSatisfy { $0["type"]?.string != "typing" }, "not echoed to the typist")

        // Carol was offline: on connecting she gets no typing, and history has none.
        let c = try await carol.connect()
        #expect(try await c.drain(for: .seconds(1)).allSatisfy { $0["type"]?.string != "typing" })
        let history = try await carol.http("GET", "/v1/conversations/\(conv)/messages")
        #expect(history.json?["messages"]?.array?.isEmpty == true)
        await b.close()
        let again = try await bob.connect()
        #expect(try await again.drain(for: .seconds(1)).allSatisfy { $0["type"]?.string != "typing" })
        for device in [a, c, again] { await device.close() }
    }
}
