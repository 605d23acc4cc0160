import ChatClient
import Foundation
import Testing
import TestSupport

/// What clients see while the log cannot take appends, and after.
@Suite(.timeLimit(.minutes(2)))
struct BrokerOutageTests {
    /// An ack answered with an error is no acknowledgement: once the log is back, the device
    /// is sent the delivery again, and its ack then reaches the sender as a receipt.
    @Test func anAckThatCouldNotBeStoredIsNotTakenAsOne() async throws {
        // Appends give up after 1.5 s instead of 5 minutes. The gateway's group session outlasts
        // the test's wait for that refusal: with the cluster's 6 s, a loaded machine once let the
        // session expire first, and the gateway closed bob's connection with `reconnect`.
        let cluster = try await ChatCluster.start(
            workers: 1, gateways: 1,
            gatewayArguments: ["--kafka-property", "message.timeout.ms=1500", "--kafka-property", "session.timeout.ms=30000"]
        )
        let entry = cluster.gateway(0)
        let alice = try await TestUser.register(SharedServer.name("alice"), on: entry)
        let bob = try await TestUser.register(SharedServer.name("bob"), on: entry)
        let a = try await alice.connect()
        let b = try await bob.connect()
        try await a.send(id: "m1", toUser: bob.id, body: "are you there?")
        let sent = try await a.next(type: "sent")
        let dseq = try #require(try await b.next(type: "message")["dseq"]?.int)

        try await cluster.killBroker()
        try await b.ack(dseq)
        let refusal = try await b.next(type: "error", timeout: .seconds(10))
        #expect(refusal["code"]?.string == "unavailable", "\(refusal)")
        await a.close()
        await b.close()
        try await cluster.restartBroker()

        // The gateway rejoins its group once it notices the broker restarted, which closes the
        // sessions open by then: each round connects both users again.
        var redelivered = false
        var receipt: JSONValue?
        let deadline = ContinuousClock.now + .seconds(60)
        while receipt == nil, ContinuousClock.now < deadline {
            guard let b2 = try? await bob.connect(), let a2 = try? await alice.connect() else {
                try await Task.sleep(for: .milliseconds(200))
                continue
            }
            if let message = try? await b2.next(type: "message", timeout: .seconds(3)) {
                #expect(message["msg_id"] == sent["msg_id"])
                #expect(message["dseq"]?.int == dseq)
                redelivered = true
                try? await b2.ack(dseq)
            }
            receipt = try? await a2.next(type: "receipt", timeout: .seconds(5))
            await a2.close()
            await b2.close()
        }
        #expect(redelivered, "the delivery whose ack failed was not sent again")
        let delivered = try #require(receipt, "no receipt reached the sender")
        #expect(delivered["status"]?.string == "delivered")
        #expect(delivered["by"]?.string == bob.id)
        #expect(delivered["up_to"]?.int == 1)
        await cluster.stop()
    }
}
