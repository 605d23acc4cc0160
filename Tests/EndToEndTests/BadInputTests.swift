import ChatClient
import Foundation
import Testing
import TestSupport

/// Bad input gets a clear protocol error, and the connection stays usable.
@Suite(.timeLimit(.minutes(3)))
struct BadInputTests {
    @Test func malformedAndInvalidFramesGetErrorsAndTheSessionGoesOn() async throws {
        let server = try await SharedServer.get()
        let alice = try await server.user(SharedServer.name("alice"))
        let device = try await alice.connect()

        try await device.socket.sendText("{not json")
        #expect(try await device.next(type: "error")["code"]?.string == "malformed")
        try await device.socket.sendText("[1, 2]")
        #expect(try await device.next(type: "error")["code"]?.string == "malformed")
        try await device.send(["type": "teleport"])
        #expect(try await device.next(type: "error")["code"]?.string == "unknown_type")
        try await device.send(["type": "send", "id": "n1", "body": "no target"])
        let invalid = try await device.next(type: "error")
        #expect(invalid["code"]?.string == "invalid_request")
        #expect(invalid["ref"]?.string == "n1")
        try await device.send(["type": "send", "id": "big", "to": ["user": alice.id], "body": String(repeating: "x", count: 20_000)])
        let tooLarge = try await device.next(type: "error")
        #expect(tooLarge["code"]?.string == "too_large")
        #expect(tooLarge["ref"]?.string == "big")
        try await device.send(id: "ghost", toUser: "nobody-here", body: "hello?")
        let unknown = try await device.next(type: "error")
        #expect(unknown["code"]?.string == "unknown_user")
        #expect(unknown["ref"]?.string == "ghost")

        try await device.send(["type": "ping"])
        _ = try await device.next(type: "pong")
        await device.close()
    }

    /// The gateway writes the refusal and closes right behind the 101; a client that reads the
    /// end of the stream before it has set up the WebSocket must still get the frame (NIO's
    /// client upgrade lost it for most of 300 sockets opened at once).
    @Test func everyRefusedSessionHearsWhyWhenManyConnectAtOnce() async throws {
        let server = try await SharedServer.get()
        let heard = try await withThrowingTaskGroup(of: [String].self) { group in
            for _ in 0..<100 {
                group.addTask {
                    let forged = try await ChatSocket.connect(host: "127.0.0.1", port: server.httpPort, token: "forged.token")
                    var codes: [String] = []
                    for await frame in forged.frames { codes.append(frame["code"]?.string ?? "?") }
                    await forged.close()
                    return codes
                }
            }
            var all: [[String]] = []
            for try await codes in group { all.append(codes) }
            return all
        }
        #expect(heard.count == 100)
        #expect(heard.filter { $0 != ["unauthorized"] }.isEmpty, "\(heard.filter { $0 != ["unauthorized"] }.count) of 100 heard otherwise")
    }

    @Test func badTokensAndBadRequestsOverHTTP() async throws {
        let server = try await SharedServer.get()
        // A WebSocket with a forged token hears why, then is closed.
        let forged = try await ChatSocket.connect(host: "127.0.0.1", port: server.httpPort, token: "forged.token")
        var frames: [JSONValue] = []
        for await frame in forged.frames { frames.append(frame) }
        #expect(frames.count == 1)
        #expect(frames.first?["type"]?.string == "error")
        #expect(frames.first?["code"]?.string == "unauthorized")
        await forged.close()
        let plain = try await server.http.request("GET", "/v1/ws?token=forged.token")
        #expect(plain.status == 401)
        let me = try await server.http.request("GET", "/v1/conversations", token: "forged.token")
        #expect(me.status == 401)
        #expect(me.json?["error"]?["code"]?.string == "unauthorized")

        let name = SharedServer.name("carol")
        let bad = try await server.http.request("POST", "/v1/users", body: Data("{oops".utf8))
        #expect(bad.status == 400)
        #expect(bad.json?["error"]?["code"]?.string == "malformed")
        let shortName = try await server.http.json("POST", "/v1/users", ["username": "ab", "password": "password1"])
        #expect(shortName.status == 400)
        #expect(shortName.json?["error"]?["code"]?.string == "invalid_request")
        let missing = try await server.http.json("POST", "/v1/users", ["username": name])
        #expect(missing.status == 400)
        #expect(missing.json?["error"]?["code"]?.string == "invalid_request")
        let huge = try await server.http.request("POST", "/v1/users", body: Data(repeating: 0x20, count: 100_000))
        #expect(huge.status == 413)

        _ = try await server.user(name)
        let wrong = try await server.http.json("POST", "/v1/sessions", ["username": name, "password": "not-it"])
        #expect(wrong.status == 401)
        #expect(wrong.json?["error"]?["code"]?.string == "invalid_credentials")
        let unknown = try await server.http.json("POST", "/v1/sessions", ["username": "no-such-user", "password": "x"])
        #expect(unknown.status == 401)
        let taken = try await server.http.json("POST", "/v1/users", ["username": name, "password": "password1"])
        #expect(taken.status == 409)
        #expect(taken.json?["error"]?["code"]?.string == "username_taken")
    }
}
