import ChatClient
import Foundation
import Testing
import TestSupport

/// The scaled-out system: 1 broker, 3 workers and 2 gateways as separate processes. Users on
/// both gateways chat in a ring; one worker and one gateway are killed mid-traffic. Their
/// partitions move to the survivors, clients of the dead gateway log in again and are sent to
/// the node that now serves them, and every message answered `sent` is delivered, once.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct ScaleOutTests {
    @Test func workAndUsersMoveWhenAWorkerAndAGatewayDie() async throws {
        let cluster = try await ChatCluster.start(workers: 3, gateways: 2)
        let entry = cluster.gateway(1)
        let doomed = "http://127.0.0.1:\(cluster.gatewayPorts[0])"

        // Users until each gateway serves at least three (the user id picks the partition).
        var users: [TestUser] = []
        let deadline = ContinuousClock.now + .seconds(60)
        while Set(users.map(\.node.port)).count < 2 || users.count(where: { $0.node.port == cluster.gatewayPorts[0] }) < 3
            || users.count(where: { $0.node.port == cluster.gatewayPorts[1] }) < 3
        {
            try #require(ContinuousClock.now < deadline, "the gateways never split the users: \(users.map(\.node.port))")
            users.append(try await TestUser.register(SharedServer.name("ring"), on: entry))
        }
        let participants = users.indices.map { index in
            RingParticipant(user: users[index], peer: users[(index + 1) % users.count].id)
        }
        for participant in participants { participant.start() }

        #expect(await eventually(timeout: .seconds(60)) { participants.allSatisfy { $0.confirmedCount >= 10 } })
        cluster.killWorker(0)
        cluster.killGateway(0)
        let confirmedAtKill = participants.map(\.confirmedCount)
        // Sending goes on through the rebalance until every sender has had replies again.
        #expect(
            await eventually(timeout: .seconds(90)) {
                zip(participants, confirmedAtKill).allSatisfy { $0.confirmedCount >= $1 + 10 }
            },
            "senders stalled after the kill: \(participants.map(\.confirmedCount)) vs \(confirmedAtKill)"
        )
        for participant in participants { participant.stopSending() }
        #expect(
            await eventually(timeout: .seconds(60)) { participants.allSatisfy(\.unconfirmed.isEmpty) },
            "resent messages never confirmed: \(participants.flatMap(\.unconfirmed).prefix(5))"
        )

        // Every confirmed message reaches its recipient, under one dseq.
        for (index, sender) in participants.enumerated() {
            let recipient = participants[(index + 1) % participants.count]
            let expected = sender.confirmed
            #expect(
                await eventually(timeout: .seconds(60)) { recipient.receivedIds.isSuperset(of: expected) },
                "\(recipient.user.username) misses \(expected.subtracting(recipient.receivedIds).count) of \(expected.count) from \(sender.user.username)"
            )
            #expect(recipient.receivedIds.isSubset(of: expected), "a delivery that was never answered `sent`")
        }
        for participant in participants {
            #expect(participant.deliveriesWithTwoDseqs.isEmpty, "\(participant.user.username): \(participant.deliveriesWithTwoDseqs)")
        }
        let movedUsers = participants.filter { $0.connectedNodes.contains(doomed) }
        #expect(!movedUsers.isEmpty)
        for participant in movedUsers {
            #expect(participant.connectedNodes.last == "http://127.0.0.1:\(cluster.gatewayPorts[1])")
        }
        #expect(cluster.survivorsAreRunning)

        for participant in participants { await participant.finish() }
        await cluster.stop()
    }
}

/// One user of the ring: sends to `peer` every few milliseconds, acks what it receives,
/// and, like a real client, logs in again and resends what was not confirmed when its
/// connection drops.
final class RingParticipant: Sendable {
    let user: TestUser
    let peer: String
    private struct State {
        var next = 0
        var sending = true
        var pending: [String: String] = [:]
        var confirmed: Set<String> = []
        var received: [String: Set<Int64>] = [:]
        var nodes: [String] = []
    }
    private let state = Locked(State())
    private let task = Locked<Task<Void, Never>?>(nil)

    init(user: TestUser, peer: String) {
        self.user = user
        self.peer = peer
    }

    var confirmedCount: Int { state.value.confirmed.count }
    /// Message ids of the `sent` replies.
    var confirmed: Set<String> { state.value.confirmed }
    /// Client ids sent whose `sent` never came.
    var unconfirmed: [String] { Array(state.value.pending.keys) }
    var receivedIds: Set<String> { Set(state.value.received.keys) }
    var deliveriesWithTwoDseqs: [String: Set<Int64>] { state.value.received.filter { $0.value.count > 1 } }
    var connectedNodes: [String] { state.value.nodes }

    func start() {
        task.withLock { $0 = Task { await self.run() } }
    }

    /// Stops new sends; unconfirmed ones are still retried until confirmed.
    func stopSending() { state.withLock { $0.sending = false } }

    func finish() async {
        let running = task.withLock { task in
            defer { task = nil }
            return task
        }
        running?.cancel()
        await running?.value
    }

    private func run() async {
        while !Task.isCancelled {
            do {
                try await user.login(device: "phone")
                let node = user.node
                let socket = try await ChatSocket.connect(host: node.host, port: node.port, token: user.token())
                state.withLock { $0.nodes.append("http://\(node.host):\(node.port)") }
                await session(on: socket)
                await socket.close()
            } catch {
                // The node is down or not serving this user yet: try again shortly.
            }
            try? await Task.sleep(for: .milliseconds(200))
        }
    }

    /// One connection: resend what is unconfirmed, then send, ack and record until it drops.
    private func session(on socket: ChatSocket) async {
        let sender = Task {
            for (id, body) in state.value.pending { try? await socket.send(frame(id: id, body: body)) }
            var ticks = 0
            while !Task.isCancelled {
                ticks += 1
                let fresh: (String, String)? = state.withLock { state in
                    guard state.sending else { return nil }
                    state.next += 1
                    let id = "\(user.username)-\(state.next)"
                    state.pending[id] = "ring \(state.next)"
                    return (id, "ring \(state.next)")
                }
                if let (id, body) = fresh { try? await socket.send(frame(id: id, body: body)) }
                if ticks % 20 == 0 { try? await socket.send(["type": "ping"]) }
                try? await Task.sleep(for: .milliseconds(40))
            }
        }
        for await frame in socket.frames {
            switch frame["type"]?.string {
            case "sent":
                state.withLock { state in
                    if let ref = frame["ref"]?.string { state.pending[ref] = nil }
                    state.confirmed.insert(frame["msg_id"]?.string ?? "")
                }
            case "message":
                let msgId = frame["msg_id"]?.string ?? ""
                let dseq = frame["dseq"]?.int ?? -1
                state.withLock { _ = $0.received[msgId, default: []].insert(dseq) }
                try? await socket.send(["type": "ack", "up_to": dseq])
            case "error" where frame["code"]?.string == "wrong_node":
                sender.cancel()
            default:
                continue
            }
        }
        sender.cancel()
        await sender.value
    }

    private func frame(id: String, body: String) -> [String: Any] {
        ["type": "send", "id": id, "to": ["user": peer], "body": body]
    }
}
