import ChatClient
import Foundation
import Testing
import TestSupport

@Suite(.timeLimit(.minutes(3)))
struct GroupChatTests {
    @Test func groupOfFiveFanOutMembershipAndReceipts() async throws {
        let server = try await SharedServer.get()
        var users: [TestUser] = []
        for index in 0..<5 { users.append(try await server.user(SharedServer.name("member\(index)"))) }
        let outsider = try await server.user(SharedServer.name("outsider"))
        let owner = users[0]

        let created = try await owner.http("POST", "/v1/groups", ["name": "five", "members": users.dropFirst().map(\.id)])
        #expect(created.status == 201)
        let group = try #require(created.json?["group_id"]?.string)
        #expect(Set(created.json?["members"]?.array?.compactMap(\.string) ?? []) == Set(users.map(\.id)))

        var devices: [TestDevice] = []
        for user in users { devices.append(try await user.connect()) }
        let outsiderDevice = try await outsider.connect()

        try await devices[0].send(id: "g1", toGroup: group, body: "hello group")
        let sent = try await devices[0].next(type: "sent")
        #expect(sent["seq"]?.int == 1)
        for device in devices.dropFirst() {
            let message = try await device.next(type: "message")
            #expect(message["group_id"]?.string == group)
            #expect(message["conv"]?.string == group)
            #expect(message["body"]?.string == "hello group")
            try await device.ack(message["dseq"]!.int!)
        }
        // One delivered receipt per member, each a cursor at seq 1.
        var deliveredBy: Set<String> = []
        for _ in 1...4 {
            let receipt = try await devices[0].next(type: "receipt")
            #expect(receipt["status"]?.string == "delivered")
            #expect(receipt["up_to"]?.int == 1)
            deliveredBy.insert(receipt["by"]?.string ?? "")
        }
        #expect(deliveredBy == Set(users.dropFirst().map(\.id)))

        // A non-member is refused, and nobody sees the message.
        try await outsiderDevice.send(id: "intrude", toGroup: group, body: "let me in")
        let refused = try await outsiderDevice.next(type: "error")
        #expect(refused["ref"]?.string == "intrude")
        #expect(refused["code"]?.string == "forbidden")
        for device in devices {
            #expect(try await device.drain(for: .milliseconds(200)).allSatisfy { $0["body"]?.string != "let me in" })
        }

        // Only admins add members; a removed member stops receiving.
        let notAdmin = try await users[1].http("POST", "/v1/groups/\(group)/members", ["user": outsider.id])
        #expect(notAdmin.status == 403)
        #expect(notAdmin.json?["error"]?["code"]?.string == "forbidden")
        let removed = try await owner.http("DELETE", "/v1/groups/\(group)/members/\(users[4].id)")
        #expect(removed.status == 204)
        try await devices[0].send(id: "g2", toGroup: group, body: "after removal")
        _ = try await devices[0].next(type: "sent")
        for device in devices[1...3] {
            #expect(try await device.next(type: "message")["body"]?.string == "after removal")
        }
        #expect(try await devices[4].drain(for: .milliseconds(500)).allSatisfy { $0["body"]?.string != "after removal" })
        let history = try await users[4].http("GET", "/v1/conversations/\(group)/messages")
        #expect(history.status == 403)

        // Read receipts per member.
        try await devices[2].send(["type": "read", "conv": group, "up_to": 2])
        let read = try await devices[0].next { $0["type"]?.string == "receipt" && $0["status"]?.string == "read" }
        #expect(read["by"]?.string == users[2].id)
        #expect(read["up_to"]?.int == 2)
        for device in devices + [outsiderDevice] { await device.close() }
    }

    @Test func membersSeeTheGroupWithRolesAndCursorsOthersDoNot() async throws {
        let server = try await SharedServer.get()
        let owner = try await server.user(SharedServer.name("owner"))
        let member = try await server.user(SharedServer.name("member"))
        let outsider = try await server.user(SharedServer.name("outsider"))
        let created = try await owner.http("POST", "/v1/groups", ["name": "book club", "members": [member.username]])
        let group = try #require(created.json?["group_id"]?.string)
        let sender = try await owner.connect()
        let reader = try await member.connect()
        try await sender.send(id: "b1", toGroup: group, body: "chapter one")
        let message = try await reader.next(type: "message")
        try await reader.ack(try #require(message["dseq"]?.int))
        _ = try await sender.next(type: "receipt")

        let seen = try await member.http("GET", "/v1/groups/\(group)")
        #expect(seen.status == 200)
        #expect(seen.json?["name"]?.string == "book club")
        let members = seen.json?["members"]?.array ?? []
        #expect(members.compactMap { $0["user_id"]?.string } == [owner.id, member.id].sorted())
        let byId = Dictionary(uniqueKeysWithValues: members.map { ($0["user_id"]?.string ?? "", $0) })
        #expect(byId[owner.id]?["role"]?.string == "admin")
        #expect(byId[owner.id]?["username"]?.string == owner.username)
        #expect(byId[member.id]?["role"]?.string == "member")
        #expect(byId[member.id]?["delivered"]?.int == 1)
        #expect(byId[member.id]?["read"]?.int == 0)

        #expect(try await outsider.http("GET", "/v1/groups/\(group)").status == 403)
        let missing = try await outsider.http("GET", "/v1/groups/gnothing")
        #expect(missing.status == 404)
        #expect(missing.json?["error"]?["code"]?.string == "not_found")

        // A new group is at the top of its creator's list before anyone writes in it.
        let newer = try await owner.http("POST", "/v1/groups", ["name": "newer", "members": [member.id]])
        let list = try await owner.http("GET", "/v1/conversations")
        #expect(list.json?[0]?["conv"]?.string == newer.json?["group_id"]?.string)
        await sender.close()
        await reader.close()
    }
}
