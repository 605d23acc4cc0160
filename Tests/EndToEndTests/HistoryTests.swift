import ChatClient
import Foundation
import Testing
import TestSupport

/// History pages and the conversation list, from the SQLite projection.
@Suite(.timeLimit(.minutes(3)))
struct HistoryTests {
    @Test func pagesOfFiftyNewestFirstWithoutGaps() async throws {
        let server = try await SharedServer.get()
        let alice = try await server.user(SharedServer.name("alice"))
        let bob = try await server.user(SharedServer.name("bob"))
        let outsider = try await server.user(SharedServer.name("eve"))
        let a = try await alice.connect()
        for index in 1...120 { try await a.send(id: "h\(index)", toUser: bob.id, body: "line \(index)") }
        let sent = try await a.collect(120, type: "sent")
        let conv = try #require(sent.last?["conv"]?.string)
        await a.close()

        var seqs: [Int64] = []
        var before: Int64?
        for expected in [50, 50, 20] {
            let query = before.map { "?before=\($0)&limit=50" } ?? "?limit=50"
            let page = try await bob.http("GET", "/v1/conversations/\(conv)/messages\(query)")
            #expect(page.status == 200)
            let messages = try #require(page.json?["messages"]?.array)
            #expect(messages.count == expected)
            for message in messages {
                #expect(message["body"]?.string == "line \(message["seq"]!.int!)")
                #expect(message["from"]?.string == alice.id)
            }
            seqs += messages.compactMap { $0["seq"]?.int }
            before = messages.last?["seq"]?.int
        }
        #expect(seqs == (1...120).reversed().map { Int64($0) }, "newest first, no gaps, no repeats")
        let empty = try await bob.http("GET", "/v1/conversations/\(conv)/messages?before=1")
        #expect(empty.json?["messages"]?.array?.isEmpty == true)
        let forbidden = try await outsider.http("GET", "/v1/conversations/\(conv)/messages")
        #expect(forbidden.status == 403)
        #expect(forbidden.json?["error"]?["code"]?.string == "forbidden")
        let badLimit = try await bob.http("GET", "/v1/conversations/\(conv)/messages?limit=500")
        #expect(badLimit.status == 400)
    }

    @Test func conversationListOrdersByRecencyAndCountsUnread() async throws {
        let server = try await SharedServer.get()
        let alice = try await server.user(SharedServer.name("alice"))
        let bob = try await server.user(SharedServer.name("bob"))
        let carol = try await server.user(SharedServer.name("carol"))
        let b = try await bob.connect()
        let c = try await carol.connect()
        try await b.send(id: "b1", toUser: alice.id, body: "from bob")
        _ = try await b.next(type: "sent")
        try await c.send(id: "c1", toUser: alice.id, body: "from carol")
        try await c.send(id: "c2", toUser: alice.id, body: "again from carol")
        let carolSent = try await c.collect(2, type: "sent")

        var list = try await alice.http("GET", "/v1/conversations").json?.array ?? []
        #expect(list.map { $0["peer"]?.string } == [carol.id, bob.id], "most recent first")
        #expect(list.map { $0["unread"]?.int } == [2, 1])
        #expect(list.map { $0["kind"]?.string } == ["direct", "direct"])
        #expect(list.first?["last_seq"]?.int == 2)

        // Reading moves the count; a new message moves the order.
        let a = try await alice.connect()
        try await a.send(["type": "read", "conv": carolSent[1]["conv"]!.string!, "up_to": 2])
        try await b.send(id: "b2", toUser: alice.id, body: "bob again")
        _ = try await b.next(type: "sent")
        #expect(await eventually {
            list = (try? await alice.http("GET", "/v1/conversations").json?.array) ?? []
            return list.map { $0["unread"]?.int } == [2, 0]
        })
        #expect(list.map { $0["peer"]?.string } == [bob.id, carol.id])
        // Alice's own message is never unread for her.
        try await a.send(id: "a1", toUser: bob.id, body: "hi bob")
        _ = try await a.next(type: "sent")
        #expect(await eventually {
            list = (try? await alice.http("GET", "/v1/conversations").json?.array) ?? []
            return list.first?["unread"]?.int == 0 && list.first?["last_seq"]?.int == 3
        })
        for device in [a, b, c] { await device.close() }
    }
}
