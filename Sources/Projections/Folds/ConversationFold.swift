/// What the conversation fold decided about one event.
public enum ConversationDecision: Sendable, Equatable {
    case groupCreated(members: [String])
    case memberAdded(user: String, by: String)
    case memberRemoved(user: String, by: String)
    case messageAccepted(AcceptedMessage)
    /// The sender repeated a client id: answer its original `sent` again.
    case messageRepeated(conv: String, from: String, device: String, clientId: String, seq: Int64, ts: Int64)
    /// A member's delivered or read cursor moved; `notify` are the senders it concerns.
    case cursorAdvanced(conv: String, user: String, status: ReceiptStatus, upTo: Int64, ts: Int64, notify: [String])
    case rejected(Rejection)
    /// Nothing changed (a repeated or stale marker, an idempotent membership change).
    case unchanged
}

extension ConversationDecision {
    /// Whether the conversation's state changed with this decision.
    public var changesState: Bool {
        switch self {
        case .groupCreated, .memberAdded, .memberRemoved, .messageAccepted, .cursorAdvanced: true
        case .messageRepeated, .rejected, .unchanged: false
        }
    }
}

public enum ReceiptStatus: String, Sendable {
    case delivered
    case read
}

public struct AcceptedMessage: Sendable, Equatable {
    public var msgId: String
    public var conv: String
    public var seq: Int64
    public var from: String
    public var device: String
    public var clientId: String
    public var groupId: String?
    public var body: String?
    public var media: [String]?
    public var ts: Int64
    /// The members at the time of the message: who gets a copy.
    public var recipients: [String]
}

/// A refused request, with the protocol's error code.
public struct Rejection: Sendable, Equatable {
    public enum Code: String, Sendable {
        case forbidden
        case notFound = "not_found"
        case conflict
        case invalid
    }

    public var code: Code
    public var message: String
    /// Who asked, and from which device with which client id (for a `send`).
    public var user: String
    public var device: String?
    public var ref: String?
}

/// The fold of a conversation: `apply(state, event)` returns the next state and the decision.
///
/// Pure: no clock, no randomness, no I/O. The conversation processor uses it to decide and
/// fan out; every read model uses it to know what happened; a replay of the log through it
/// reproduces every `seq` and every decision.
public enum ConversationFold {
    /// - Important: pass a state no one else holds (take it out of its dictionary first):
    ///   the state is consumed and changed in place, and a shared one would be copied whole.
    public static func apply(
        _ state: consuming ConversationState?, _ event: ConversationEvent
    ) -> (ConversationState?, [ConversationDecision]) {
        switch event {
        case .groupCreated(let event): createGroup(state, event)
        case .memberAdded(let event): addMember(state, event)
        case .memberRemoved(let event): removeMember(state, event)
        case .messageSent(let event): send(state, event)
        case .delivered(let event): advance(state, user: event.user, status: .delivered, upTo: event.upTo, ts: event.ts)
        case .read(let event): advance(state, user: event.user, status: .read, upTo: event.upTo, ts: event.ts)
        }
    }

    private static func reject(
        _ code: Rejection.Code, _ message: String, user: String, device: String? = nil, ref: String? = nil
    ) -> [ConversationDecision] {
        [.rejected(Rejection(code: code, message: message, user: user, device: device, ref: ref))]
    }

    // MARK: - Groups

    private static func createGroup(_ state: ConversationState?, _ event: GroupCreated) -> (ConversationState?, [ConversationDecision]) {
        guard state == nil else { return (state, reject(.conflict, "group \(event.groupId) already exists", user: event.creator)) }
        var members: [String: ConversationState.Role] = [:]
        for member in event.members { members[member] = .member }
        members[event.creator] = .admin
        let group = ConversationState(id: event.groupId, kind: .group, name: event.name, members: members, createdAt: event.ts)
        return (group, [.groupCreated(members: group.memberList)])
    }

    private static func addMember(_ state: ConversationState?, _ event: MemberAdded) -> (ConversationState?, [ConversationDecision]) {
        guard var group = state, group.kind == .group else {
            return (state, reject(.notFound, "no group \(event.conv)", user: event.by))
        }
        guard group.isAdmin(event.by) else {
            return (state, reject(.forbidden, "only admins add members", user: event.by))
        }
        guard !group.isMember(event.user) else { return (state, [.unchanged]) }
        group.members[event.user] = .member
        // A newcomer has nothing to read or receive of what came before.
        group.delivered[event.user] = group.lastSeq
        group.read[event.user] = group.lastSeq
        return (group, [.memberAdded(user: event.user, by: event.by)])
    }

    private static func removeMember(_ state: ConversationState?, _ event: MemberRemoved) -> (ConversationState?, [ConversationDecision]) {
        guard var group = state, group.kind == .group else {
            return (state, reject(.notFound, "no group \(event.conv)", user: event.by))
        }
        guard event.by == event.user || group.isAdmin(event.by) else {
            return (state, reject(.forbidden, "only admins remove other members", user: event.by))
        }
        guard group.isMember(event.user) else {
            return (state, reject(.notFound, "\(event.user) is not a member", user: event.by))
        }
        group.members[event.user] = nil
        group.delivered[event.user] = nil
        group.read[event.user] = nil
        // A group is never left without an admin: the longest-standing member takes over.
        if !group.members.isEmpty, !group.members.values.contains(.admin), let heir = group.memberList.first {
            group.members[heir] = .admin
        }
        return (group, [.memberRemoved(user: event.user, by: event.by)])
    }

    // MARK: - Messages

    private static func send(_ state: consuming ConversationState?, _ event: MessageSent) -> (ConversationState?, [ConversationDecision]) {
        func refuse(_ existing: ConversationState?, _ code: Rejection.Code, _ message: String) -> (ConversationState?, [ConversationDecision]) {
            (existing, reject(code, message, user: event.from, device: event.device, ref: event.clientId))
        }
        var conversation: ConversationState
        if let existing = state.take() {
            conversation = existing
        } else if Identifiers.isDirect(event.conv) {
            guard let peer = event.peer, Identifiers.directConversation(event.from, peer) == event.conv else {
                return refuse(nil, .invalid, "\(event.conv) is not the conversation of \(event.from) and \(event.peer ?? "nobody")")
            }
            conversation = ConversationState(
                id: event.conv, kind: .direct, name: nil, members: [event.from: .member, peer: .member], createdAt: event.ts
            )
        } else {
            return refuse(nil, .notFound, "no conversation \(event.conv)")
        }
        guard conversation.isMember(event.from) else {
            return refuse(conversation, .forbidden, "not a member of \(event.conv)")
        }
        if let earlier = conversation.recentSends[event.from]?.send(withClientId: event.clientId) {
            return (conversation, [.messageRepeated(
                conv: event.conv, from: event.from, device: event.device, clientId: event.clientId, seq: earlier.seq,
                ts: earlier.ts
            )])
        }

        let seq = conversation.lastSeq + 1
        conversation.lastSeq = seq
        conversation.lastMessageTs = event.ts
        let range = conversation.sent[event.from]
        conversation.sent[event.from] = ConversationState.SentRange(first: range?.first ?? seq, last: seq)
        conversation.recentSends[event.from, default: ConversationState.ClientIdWindow()].remember(
            ConversationState.RecentSend(clientId: event.clientId, seq: seq, ts: event.ts)
        )
        // The sender has its own message.
        conversation.delivered[event.from] = seq
        conversation.read[event.from] = seq

        let message = AcceptedMessage(
            msgId: Identifiers.messageId(conversation: event.conv, seq: seq), conv: event.conv, seq: seq, from: event.from,
            device: event.device, clientId: event.clientId, groupId: conversation.kind == .group ? event.conv : nil,
            body: event.body, media: event.media, ts: event.ts, recipients: conversation.memberList
        )
        return (conversation, [.messageAccepted(message)])
    }

    // MARK: - Receipts

    private static func advance(
        _ state: ConversationState?, user: String, status: ReceiptStatus, upTo: Int64, ts: Int64
    ) -> (ConversationState?, [ConversationDecision]) {
        guard var conversation = state, conversation.isMember(user) else { return (state, [.unchanged]) }
        let target = min(upTo, conversation.lastSeq)
        var decisions: [ConversationDecision] = []
        // Reading a message implies having received it.
        let statuses: [ReceiptStatus] = status == .read ? [.delivered, .read] : [.delivered]
        for status in statuses {
            let current = (status == .read ? conversation.read[user] : conversation.delivered[user]) ?? 0
            guard target > current else { continue }
            if status == .read { conversation.read[user] = target } else { conversation.delivered[user] = target }
            let notify = conversation.sent.filter { sender, range in
                sender != user && range.first <= target && range.last > current
            }.keys.sorted()
            decisions.append(.cursorAdvanced(conv: conversation.id, user: user, status: status, upTo: target, ts: ts, notify: notify))
        }
        return (conversation, decisions.isEmpty ? [.unchanged] : decisions)
    }
}
