import Foundation
import GRDB
import TestSupport
@testable import Projections

/// A `ChatDatabase` (read models unless told otherwise) in its own temporary directory; the directory lives as long as this does.
struct TestDatabase: Sendable {
    let directory: TemporaryDirectory
    let database: ChatDatabase

    init(store: ChatDatabase.Store = .readModels) throws {
        directory = try TemporaryDirectory()
        database = try ChatDatabase(path: directory.child("db/chat.sqlite"), store: store)
    }

    func write<T>(_ body: (Database) throws -> T) throws -> T {
        try database.writer.write(body)
    }

    func read<T>(_ body: (Database) throws -> T) throws -> T {
        try database.writer.read(body)
    }
}

/// A record of `event` as the folds would read it from the log.
func record<Event: ChatEvent>(
    _ event: Event, topic: String = "chat.test", partition: Int32 = 0, offset: Int64 = 0, key: String = "k",
    version: Int? = nil
) -> EventRecord {
    EventRecord(
        topic: topic, partition: partition, offset: offset, key: key, type: Event.type,
        version: version ?? Event.version, value: EventCoding.encode(event)
    )
}

/// Records of `chat.conversations` with consecutive offsets from `first`, each keyed by its conversation.
func conversationRecords(_ events: [ConversationEvent], partition: Int32 = 0, from first: Int64 = 0) -> [EventRecord] {
    events.enumerated().map { index, event in
        let offset = first + Int64(index)
        let key = event.conversation
        return switch event {
        case .groupCreated(let e): record(e, topic: "chat.conversations", partition: partition, offset: offset, key: key)
        case .memberAdded(let e): record(e, topic: "chat.conversations", partition: partition, offset: offset, key: key)
        case .memberRemoved(let e): record(e, topic: "chat.conversations", partition: partition, offset: offset, key: key)
        case .messageSent(let e): record(e, topic: "chat.conversations", partition: partition, offset: offset, key: key)
        case .delivered(let e): record(e, topic: "chat.conversations", partition: partition, offset: offset, key: key)
        case .read(let e): record(e, topic: "chat.conversations", partition: partition, offset: offset, key: key)
        }
    }
}

// MARK: - Event builders

enum Make {
    static func group(_ id: String, by creator: String, with members: [String], name: String = "team", ts: Int64 = 1)
        -> ConversationEvent
    {
        .groupCreated(GroupCreated(groupId: id, name: name, creator: creator, members: members, ts: ts))
    }

    static func add(_ user: String, to conv: String, by: String, ts: Int64 = 1) -> ConversationEvent {
        .memberAdded(MemberAdded(conv: conv, user: user, by: by, ts: ts))
    }

    static func remove(_ user: String, from conv: String, by: String, ts: Int64 = 1) -> ConversationEvent {
        .memberRemoved(MemberRemoved(conv: conv, user: user, by: by, ts: ts))
    }

    /// A message to a group (no peer).
    static func send(
        _ from: String, to conv: String, id clientId: String, body: String? = "hi", media: [String]? = nil,
        device: String = "phone", ts: Int64 = 10
    ) -> ConversationEvent {
        .messageSent(MessageSent(
            conv: conv, from: from, device: device, clientId: clientId, peer: nil, body: body, media: media, ts: ts
        ))
    }

    /// A direct message from `from` to `peer`, in their conversation.
    static func direct(
        _ from: String, to peer: String, id clientId: String, body: String? = "hi", media: [String]? = nil,
        device: String = "phone", ts: Int64 = 10
    ) -> ConversationEvent {
        .messageSent(MessageSent(
            conv: Identifiers.directConversation(from, peer), from: from, device: device, clientId: clientId,
            peer: peer, body: body, media: media, ts: ts
        ))
    }

    static func delivered(_ user: String, _ conv: String, upTo: Int64, ts: Int64 = 50) -> ConversationEvent {
        .delivered(MessagesDelivered(conv: conv, user: user, upTo: upTo, ts: ts))
    }

    static func read(_ user: String, _ conv: String, upTo: Int64, ts: Int64 = 60) -> ConversationEvent {
        .read(MessagesRead(conv: conv, user: user, upTo: upTo, ts: ts))
    }
}

/// Folds `events` from `state`, returning the final state and every event's decisions.
func fold(
    _ events: [ConversationEvent], from state: ConversationState? = nil
) -> (ConversationState?, [[ConversationDecision]]) {
    var state = state
    var all: [[ConversationDecision]] = []
    for event in events {
        let (next, decisions) = ConversationFold.apply(state, event)
        state = next
        all.append(decisions)
    }
    return (state, all)
}

/// Folds `events`, each into the state of its own conversation, as the processor does.
func foldPerConversation(_ events: [ConversationEvent]) -> [[ConversationDecision]] {
    var states: [String: ConversationState] = [:]
    return events.map { event in
        let (next, decisions) = ConversationFold.apply(states.removeValue(forKey: event.conversation), event)
        states[event.conversation] = next
        return decisions
    }
}

/// Folds `events` and requires a state at the end.
func folded(_ events: [ConversationEvent]) -> ConversationState? { fold(events).0 }

extension ConversationDecision {
    /// The accepted message, if this is one.
    var accepted: AcceptedMessage? {
        if case .messageAccepted(let message) = self { message } else { nil }
    }

    var rejection: Rejection? {
        if case .rejected(let rejection) = self { rejection } else { nil }
    }
}

