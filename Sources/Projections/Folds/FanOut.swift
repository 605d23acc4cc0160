/// What the conversation processor writes to `chat.inbox` for a decision: one record per
/// recipient, each with an id made of the source record's position and its index, so that
/// writing the same outputs twice is recognisable downstream.
public enum FanOut {
    public struct Delivery: Sendable, Equatable {
        public var recipient: String
        public var event: InboxEvent
    }

    public static func deliveries(for decisions: [ConversationDecision], source: String) -> [Delivery] {
        var deliveries: [Delivery] = []
        func id() -> String { "\(source)#\(deliveries.count)" }
        for decision in decisions {
            switch decision {
            case .messageAccepted(let message):
                for recipient in message.recipients {
                    let own = recipient == message.from
                    deliveries.append(Delivery(recipient: recipient, event: .message(MessageDelivery(
                        id: id(), msgId: message.msgId, conv: message.conv, seq: message.seq, from: message.from,
                        groupId: message.groupId, body: message.body, media: message.media, ts: message.ts,
                        originDevice: own ? message.device : nil, ref: own ? message.clientId : nil
                    ))))
                }
            case .messageRepeated(let conv, let from, let device, let clientId, let seq, let ts):
                deliveries.append(Delivery(recipient: from, event: .repeated(SendRepeated(
                    id: id(), device: device, ref: clientId, msgId: Identifiers.messageId(conversation: conv, seq: seq),
                    conv: conv, seq: seq, ts: ts
                ))))
            case .cursorAdvanced(let conv, let user, let status, let upTo, let ts, let notify):
                for sender in notify {
                    deliveries.append(Delivery(recipient: sender, event: .receipt(ReceiptDelivery(
                        id: id(), conv: conv, by: user, status: status.rawValue, upTo: upTo, ts: ts
                    ))))
                }
            case .rejected(let rejection):
                guard let device = rejection.device, let ref = rejection.ref else { continue }
                deliveries.append(Delivery(recipient: rejection.user, event: .rejected(SendRejected(
                    id: id(), device: device, ref: ref, code: rejection.code.rawValue, message: rejection.message
                ))))
            case .groupCreated, .memberAdded, .memberRemoved, .unchanged:
                continue
            }
        }
        return deliveries
    }
}
