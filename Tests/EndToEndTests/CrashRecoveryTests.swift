import ChatClient
import Foundation
import Testing
import TestSupport

/// `kill -9` of `chat serve` while clients send: after a restart every message that was
/// answered `sent` reaches each recipient, in strictly increasing dseq, and nothing reaches a
/// non-member. With either flush policy of the embedded broker: under the periodic one (its
/// interval longer than the test) only the kernel keeps what the killed process wrote.
@Suite(.serialized, .timeLimit(.minutes(4)))
struct CrashRecoveryTests {
    @Test(arguments: [[], ["--flush-interval-ms", "60000"]])
    func everyAcknowledgedMessageSurvivesKillNine(flushArguments: [String]) async throws {
        let server = try await ChatServer.start(extraArguments: flushArguments)
        let alice = try await server.user("alice")
        let bob = try await server.user("bob")
        let carol = try await server.user("carol")
        let mallory = try await server.user("mallory")
        let created = try await alice.http("POST", "/v1/groups", ["name": "crew", "members": [bob.id, carol.id]])
        let group = try #require(created.json?["group_id"]?.string)

        let sender = try await alice.connect()
        let intruder = try await mallory.connect()
        let confirmed = Locked<[(msgId: String, group: Bool)]>([])
        let sending = Task {
            var index = 0
            while !Task.isCancelled {
                index += 1
                let toGroup = index % 2 == 0
                if toGroup {
                    try? await sender.send(id: "m\(index)", toGroup: group, body: "group \(index)")
                } else {
                    try? await sender.send(id: "m\(index)", toUser: bob.id, body: "direct \(index)")
                }
                try? await intruder.send(id: "x\(index)", toGroup: group, body: "intrusion \(index)")
                try? await Task.sleep(for: .milliseconds(2))
            }
        }
        let confirming = Task {
            while let sent = try? await sender.next(type: "sent", timeout: .seconds(30)) {
                let conv = sent["conv"]?.string ?? ""
                confirmed.withLock { $0.append((sent["msg_id"]?.string ?? "", conv == group)) }
            }
        }
        #expect(await eventually(timeout: .seconds(60)) { confirmed.value.count >= 150 })
        try await server.stop(signal: SIGKILL)
        sending.cancel()
        _ = await sending.value
        await sender.close()
        await intruder.close()
        await confirming.value
        let acknowledged = confirmed.value
        #expect(acknowledged.count >= 150)

        try await server.launch(extraArguments: flushArguments)
        let expectedForBob = Set(acknowledged.map(\.msgId))
        let expectedForCarol = Set(acknowledged.filter(\.group).map(\.msgId))
        for (user, expected) in [(bob, expectedForBob), (carol, expectedForCarol)] {
            let device = try await user.connect()
            var seen: Set<String> = []
            var dseqs: [Int64] = []
            let deadline = ContinuousClock.now + .seconds(60)
            while !seen.isSuperset(of: expected), ContinuousClock.now < deadline {
                guard let message = try? await device.next(type: "message", timeout: .seconds(20)) else { break }
                let body = message["body"]?.string ?? ""
                #expect(!body.hasPrefix("intrusion"), "a non-member's message was delivered")
                seen.insert(message["msg_id"]?.string ?? "")
                dseqs.append(message["dseq"]?.int ?? -1)
            }
            let missing = expected.subtracting(seen)
            #expect(missing.isEmpty, "\(user.username) lost \(missing.count) acknowledged messages, e.g. \(missing.prefix(3))")
            #expect(zip(dseqs, dseqs.dropFirst()).allSatisfy { $0 < $1 }, "dseq strictly increasing")
            let leftovers = try await device.drain(for: .milliseconds(500))
            let intrusions = leftovers.filter { ($0["body"]?.string ?? "").hasPrefix("intrusion") }
            #expect(intrusions.isEmpty)
            await device.close()
        }
        try await server.stop()
    }
}
