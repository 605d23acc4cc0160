@testable import Projections
import Testing

@Suite struct FanOutTests {
    let source = "chat.conversations/3@41"

    private func message(from: String = "bob", recipients: [String]) -> AcceptedMessage {
        AcceptedMessage(
            msgId: "g1.5", conv: "g1", seq: 5, from: from, device: "web", clientId: "c-7", groupId: "g1", body: "hey",
            media: ["m1"], ts: 500, recipients: recipients
        )
    }

    @Test func anAcceptedMessageGoesToEveryRecipientWithTheOriginOnlyOnTheSendersCopy() {
        let deliveries = FanOut.deliveries(for: [.messageAccepted(message(recipients: ["alice", "bob", "carol"]))], source: source)
        func copy(_ index: Int, own: Bool) -> MessageDelivery {
            MessageDelivery(
                id: "\(source)#\(index)", msgId: "g1.5", conv: "g1", seq: 5, from: "bob", groupId: "g1", body: "hey",
                media: ["m1"], ts: 500, originDevice: own ? "web" : nil, ref: own ? "c-7" : nil
            )
        }
        #expect(deliveries == [
            FanOut.Delivery(recipient: "alice", event: .message(copy(0, own: false))),
            FanOut.Delivery(recipient: "bob", event: .message(copy(1, own: true))),
            FanOut.Delivery(recipient: "carol", event: .message(copy(2, own: false))),
        ])
    }

    @Test(arguments: [1, 2, 10, 300])
    func oneCopyPerRecipientWithIdsInOrder(count: Int) {
        let recipients = (0..<count).map { "u\($0)" }
        let deliveries = FanOut.deliveries(for: [.messageAccepted(message(from: "u0", recipients: recipients))], source: "s")
        #expect(deliveries.map(\.recipient) == recipients)
        #expect(deliveries.map(\.event.id) == (0..<count).map { "s#\($0)" })
        let origins = deliveries.compactMap { delivery -> String? in
            guard case .message(let copy) = delivery.event else { return nil }
            return copy.originDevice
        }
        #expect(origins == ["web"])
    }

    @Test func aFoldedDirectMessageFansOutToBothUsers() throws {
        let (_, decisions) = ConversationFold.apply(nil, Make.direct("bob", to: "alice", id: "x1", body: "yo", device: "phone", ts: 9))
        let deliveries = FanOut.deliveries(for: decisions, source: source)
        #expect(deliveries == [
            FanOut.Delivery(recipient: "alice", event: .message(MessageDelivery(
                id: "\(source)#0", msgId: "d-alice-bob.1", conv: "d-alice-bob", seq: 1, from: "bob", groupId: nil, body: "yo",
                media: nil, ts: 9, originDevice: nil, ref: nil
            ))),
            FanOut.Delivery(recipient: "bob", event: .message(MessageDelivery(
                id: "\(source)#1", msgId: "d-alice-bob.1", conv: "d-alice-bob", seq: 1, from: "bob", groupId: nil, body: "yo",
                media: nil, ts: 9, originDevice: "phone", ref: "x1"
            ))),
        ])
    }

    @Test func aRepeatedSendAnswersTheSenderOnly() {
        let deliveries = FanOut.deliveries(
            for: [.messageRepeated(conv: "g1", from: "bob", device: "tablet", clientId: "c-1", seq: 12, ts: 345)], source: source
        )
        #expect(deliveries == [FanOut.Delivery(recipient: "bob", event: .repeated(SendRepeated(
            id: "\(source)#0", device: "tablet", ref: "c-1", msgId: "g1.12", conv: "g1", seq: 12, ts: 345
        )))])
    }

    @Test func anAdvancedCursorNotifiesEachSender() {
        let deliveries = FanOut.deliveries(
            for: [.cursorAdvanced(conv: "g1", user: "carol", status: .read, upTo: 8, ts: 900, notify: ["alice", "bob"])],
            source: source
        )
        #expect(deliveries == [
            FanOut.Delivery(recipient: "alice", event: .receipt(ReceiptDelivery(
                id: "\(source)#0", conv: "g1", by: "carol", status: "read", upTo: 8, ts: 900
            ))),
            FanOut.Delivery(recipient: "bob", event: .receipt(ReceiptDelivery(
                id: "\(source)#1", conv: "g1", by: "carol", status: "read", upTo: 8, ts: 900
            ))),
        ])
        let nobody = FanOut.deliveries(
            for: [.cursorAdvanced(conv: "g1", user: "carol", status: .delivered, upTo: 8, ts: 900, notify: [])], source: source
        )
        #expect(nobody.isEmpty)
    }

    @Test func aReadThatImpliesDeliveredNumbersAcrossBothDecisions() throws {
        let state = try #require(folded([
            Make.group("g1", by: "alice", with: ["bob", "carol"]),
            Make.send("alice", to: "g1", id: "a1"),
            Make.send("bob", to: "g1", id: "b1"),
        ]))
        let (_, decisions) = ConversationFold.apply(state, Make.read("carol", "g1", upTo: 2, ts: 77))
        let deliveries = FanOut.deliveries(for: decisions, source: "s")
        #expect(deliveries.map(\.recipient) == ["alice", "bob", "alice", "bob"])
        #expect(deliveries.map(\.event.id) == ["s#0", "s#1", "s#2", "s#3"])
        let statuses = deliveries.compactMap { delivery -> String? in
            guard case .receipt(let receipt) = delivery.event, receipt.by == "carol", receipt.upTo == 2, receipt.ts == 77 else {
                return nil
            }
            return receipt.status
        }
        #expect(statuses == ["delivered", "delivered", "read", "read"])
    }

    @Test(arguments: [Rejection.Code.forbidden, .notFound, .conflict, .invalid])
    func aRefusedSendIsAnsweredToItsDevice(code: Rejection.Code) {
        let rejection = Rejection(code: code, message: "nope", user: "bob", device: "phone", ref: "c-3")
        let deliveries = FanOut.deliveries(for: [.rejected(rejection)], source: source)
        #expect(deliveries == [FanOut.Delivery(recipient: "bob", event: .rejected(SendRejected(
            id: "\(source)#0", device: "phone", ref: "c-3", code: code.rawValue, message: "nope"
        )))])
    }

    @Test func protocolCodesOfRejections() {
        #expect(Rejection.Code.forbidden.rawValue == "forbidden")
        #expect(Rejection.Code.notFound.rawValue == "not_found")
        #expect(Rejection.Code.conflict.rawValue == "conflict")
        #expect(Rejection.Code.invalid.rawValue == "invalid")
        #expect(ReceiptStatus.delivered.rawValue == "delivered")
        #expect(ReceiptStatus.read.rawValue == "read")
    }

    @Test func aRefusedHTTPRequestIsAnsweredByNothing() throws {
        // Requests made over HTTP (group changes) carry no device: the HTTP answer tells.
        let state = try #require(folded([Make.group("g1", by: "alice", with: ["bob"])]))
        let (_, decisions) = ConversationFold.apply(state, Make.add("carol", to: "g1", by: "bob"))
        #expect(decisions.first?.rejection?.device == nil)
        #expect(FanOut.deliveries(for: decisions, source: source).isEmpty)
        let deviceOnly = Rejection(code: .invalid, message: "m", user: "bob", device: "phone", ref: nil)
        #expect(FanOut.deliveries(for: [.rejected(deviceOnly)], source: source).isEmpty)
    }

    static let silentDecisions: [ConversationDecision] = [
        .groupCreated(members: ["alice", "bob"]),
        .memberAdded(user: "carol", by: "alice"),
        .memberRemoved(user: "carol", by: "carol"),
        .unchanged,
        .rejected(Rejection(code: .conflict, message: "exists", user: "alice", device: nil, ref: nil)),
    ]

    @Test(arguments: silentDecisions)
    func decisionsWithoutDeliveries(decision: ConversationDecision) {
        #expect(FanOut.deliveries(for: [decision], source: source).isEmpty)
    }

    @Test func silentDecisionsTakeNoIdNumbers() {
        let deliveries = FanOut.deliveries(for: [
            .unchanged,
            .messageRepeated(conv: "g1", from: "bob", device: "d", clientId: "c", seq: 1, ts: 2),
            .rejected(Rejection(code: .forbidden, message: "m", user: "x", device: nil, ref: nil)),
            .memberAdded(user: "y", by: "z"),
            .cursorAdvanced(conv: "g1", user: "carol", status: .delivered, upTo: 1, ts: 3, notify: ["bob"]),
        ], source: "src")
        #expect(deliveries.map(\.event.id) == ["src#0", "src#1"])
        #expect(deliveries.map(\.recipient) == ["bob", "bob"])
        #expect(FanOut.deliveries(for: [], source: "src").isEmpty)
    }
}
