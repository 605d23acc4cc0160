import Foundation
import JSON
@testable import Projections
import Testing

/// One sample of every event type of every topic.
let everyEventSample: [any ChatEvent] = [
    UserRegistered(
        userId: "u1", username: "alice", displayName: "Alice A.",
        password: PasswordHash(algorithm: "pbkdf2-sha256", iterations: 600_000, salt: "c2FsdA==", hash: "aGFzaA=="),
        ts: 1_700_000_000_000
    ),
    MediaUploaded(mediaId: String(repeating: "ab", count: 32), size: 12_345, contentType: "image/png", uploader: "u1", ts: 7),
    GroupCreated(groupId: "g1", name: "Team ✓", creator: "u1", members: ["u2", "u3"], ts: 8),
    MemberAdded(conv: "g1", user: "u4", by: "u1", ts: 9),
    MemberRemoved(conv: "g1", user: "u4", by: "u4", ts: 10),
    MessageSent(conv: "d-u1-u2", from: "u1", device: "phone", clientId: "c-1", peer: "u2", body: "hi \"there\"", media: nil, ts: 11),
    MessageSent(conv: "g1", from: "u2", device: "web", clientId: "c-2", peer: nil, body: nil, media: ["m1", "m2"], ts: 12),
    MessagesDelivered(conv: "g1", user: "u3", upTo: 2, ts: 13),
    MessagesRead(conv: "g1", user: "u3", upTo: 1, ts: 14),
    DeviceCursor(user: "u3", device: "tablet", acked: 99, ts: 15),
    MessageDelivery(
        id: "chat.conversations/3@17#0", msgId: "g1.2", conv: "g1", seq: 2, from: "u2", groupId: "g1", body: nil,
        media: ["m1"], ts: 12, originDevice: "web", ref: "c-2"
    ),
    MessageDelivery(
        id: "chat.conversations/3@17#1", msgId: "g1.2", conv: "g1", seq: 2, from: "u2", groupId: nil, body: "x",
        media: nil, ts: 12, originDevice: nil, ref: nil
    ),
    SendRepeated(id: "chat.conversations/0@5#0", device: "phone", ref: "c-1", msgId: "d-u1-u2.1", conv: "d-u1-u2", seq: 1, ts: 11),
    SendRejected(id: "chat.conversations/0@6#0", device: "phone", ref: "c-9", code: "forbidden", message: "not a member of g9"),
    ReceiptDelivery(id: "chat.conversations/0@7#0", conv: "g1", by: "u3", status: "read", upTo: 1, ts: 14),
    PresenceChanged(user: "u1", online: false, lastSeen: 1_700_000_000_123, ts: 1_700_000_000_124),
    TypingNotice(conv: "g1", from: "u1", ts: 16),
]

@Suite struct EventCodingTests {
    // MARK: - Bytes

    @Test func messageSentBodyIsSnakeCaseSortedJSONExactly() {
        let event = MessageSent(
            conv: "d-a-b", from: "a", device: "phone/1", clientId: "c1", peer: "b", body: "hi", media: ["m1"], ts: 5
        )
        let json = String(decoding: EventCoding.encode(event), as: UTF8.self)
        #expect(json == #"{"body":"hi","client_id":"c1","conv":"d-a-b","device":"phone/1","from":"a","media":["m1"],"peer":"b","ts":5}"#)
    }

    @Test func messageDeliveryBodyIsSnakeCaseSortedJSONExactly() {
        let event = MessageDelivery(
            id: "t/0@1#0", msgId: "g.1", conv: "g", seq: 1, from: "a", groupId: "g", body: nil, media: nil, ts: 3,
            originDevice: "web", ref: "r"
        )
        let json = String(decoding: EventCoding.encode(event), as: UTF8.self)
        // Absent optionals are left out; the keys are ordered by their snake_case spelling.
        #expect(json == #"{"conv":"g","from":"a","group_id":"g","id":"t/0@1#0","msg_id":"g.1","origin_device":"web","ref":"r","seq":1,"ts":3}"#)
    }

    @Test(arguments: everyEventSample.indices)
    func everyBodyHasSortedSnakeCaseKeysAtEveryLevel(index: Int) throws {
        let data = EventCoding.encode(everyEventSample[index])
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        var keys: [String] = []
        func collect(_ value: Any) {
            if let dictionary = value as? [String: Any] {
                keys += dictionary.keys
                dictionary.values.forEach(collect)
            } else if let array = value as? [Any] {
                array.forEach(collect)
            }
        }
        collect(object)
        #expect(!keys.isEmpty)
        for key in keys {
            #expect(key.allSatisfy { $0.isLowercase || $0.isNumber || $0 == "_" }, "key \(key) is not snake_case")
        }
        // The top level keys appear in sorted order in the bytes.
        let text = String(decoding: data, as: UTF8.self)
        let positions = try object.keys.sorted().map { key in
            try #require(text.range(of: "\"\(key)\":")).lowerBound
        }
        #expect(positions == positions.sorted())
    }

    @Test func encodingIsStableAndIndependentOfConstructionOrder() {
        let first = UserRegistered(
            userId: "u", username: "n", displayName: "d", password: PasswordHash(algorithm: "a", iterations: 1, salt: "s", hash: "h"),
            ts: 1
        )
        var second = UserRegistered(
            userId: "x", username: "x", displayName: "x", password: PasswordHash(algorithm: "x", iterations: 9, salt: "x", hash: "x"),
            ts: 9
        )
        second.password = first.password
        second.ts = first.ts
        second.displayName = first.displayName
        second.username = first.username
        second.userId = first.userId
        #expect(EventCoding.encode(first) == EventCoding.encode(second))
        #expect(EventCoding.encode(first) == EventCoding.encode(first))
        #expect(
            String(decoding: EventCoding.encode(first), as: UTF8.self)
                == #"{"display_name":"d","password":{"algorithm":"a","hash":"h","iterations":1,"salt":"s"},"ts":1,"user_id":"u","username":"n"}"#
        )
    }

    // MARK: - Round trips

    @Test(arguments: everyEventSample.indices)
    func everyEventRoundTrips(index: Int) throws {
        func roundTrip<Event: ChatEvent>(_ event: Event) throws {
            let encoded = record(event)
            #expect(encoded.type == Event.type)
            #expect(encoded.version == Event.version)
            let decoded = try EventCoding.decode(Event.self, from: encoded)
            #expect(decoded == event)
            #expect(EventCoding.encode(decoded) == encoded.value)
        }
        try roundTrip(everyEventSample[index])
    }

    @Test func typeHeadersAreTheTypeNamesAndDistinct() {
        let types = everyEventSample.map { type(of: $0).type }
        #expect(Set(types).count == 15)
        for event in everyEventSample {
            #expect(type(of: event).type == String(describing: type(of: event)))
            #expect(type(of: event).version == 1)
        }
        #expect(EventCoding.typeHeader == "type")
        #expect(EventCoding.versionHeader == "v")
    }

    @Test func olderVersionsAreStillRead() throws {
        let event = MessagesRead(conv: "g", user: "u", upTo: 3, ts: 4)
        #expect(try EventCoding.decode(MessagesRead.self, from: record(event, version: 0)) == event)
    }

    // MARK: - Errors

    @Test func wrongTypeIsRefused() {
        let read = record(MessagesRead(conv: "g", user: "u", upTo: 3, ts: 4))
        #expect(throws: EventDecodingError.wrongType("MessagesRead", expected: "MessagesDelivered")) {
            try EventCoding.decode(MessagesDelivered.self, from: read)
        }
    }

    @Test(arguments: [2, 3, 100])
    func newerVersionIsRefused(version: Int) {
        let sent = record(
            MessageSent(conv: "g", from: "a", device: "d", clientId: "c", peer: nil, body: "b", media: nil, ts: 1),
            version: version
        )
        #expect(throws: EventDecodingError.newerVersion("MessageSent", version)) {
            try EventCoding.decode(MessageSent.self, from: sent)
        }
        #expect(throws: EventDecodingError.newerVersion("MessageSent", version)) { try ConversationEvent(sent) }
    }

    @Test(arguments: ["Bogus", "", "messageSent", "PresenceChanged", "UserRegistered"])
    func unknownTypesAreRefusedByBothEnums(type: String) {
        let bogus = EventRecord(topic: "t", partition: 0, offset: 0, key: "k", type: type, version: 1, value: Data("{}".utf8))
        #expect(throws: EventDecodingError.unknownType(type)) { try ConversationEvent(bogus) }
        #expect(throws: EventDecodingError.unknownType(type)) { try InboxEvent(bogus) }
    }

    @Test func inboxTypesAreUnknownToConversationsAndTheReverse() {
        let delivery = record(SendRejected(id: "i", device: "d", ref: "r", code: "invalid", message: "m"))
        #expect(throws: EventDecodingError.unknownType("SendRejected")) { try ConversationEvent(delivery) }
        let group = record(GroupCreated(groupId: "g", name: "n", creator: "c", members: [], ts: 1))
        #expect(throws: EventDecodingError.unknownType("GroupCreated")) { try InboxEvent(group) }
    }

    @Test func malformedOrIncompleteBodiesThrow() throws {
        let garbage = EventRecord(
            topic: "t", partition: 0, offset: 0, key: "k", type: MessagesRead.type, version: 1, value: Data("not json".utf8)
        )
        #expect(throws: (any Error).self) { try ConversationEvent(garbage) }
        // A required field missing.
        let incomplete = EventRecord(
            topic: "t", partition: 0, offset: 0, key: "k", type: MessagesRead.type, version: 1,
            value: Data(#"{"conv":"g","user":"u","ts":2}"#.utf8)
        )
        #expect(throws: JSONError.missing("up_to")) { try EventCoding.decode(MessagesRead.self, from: incomplete) }
        // A field of the wrong type, and trailing bytes after the object.
        let mistyped = EventRecord(
            topic: "t", partition: 0, offset: 0, key: "k", type: MessagesRead.type, version: 1,
            value: Data(#"{"conv":"g","user":"u","up_to":"1","ts":2}"#.utf8)
        )
        #expect(throws: JSONError("expected an integer at byte 31")) { try EventCoding.decode(MessagesRead.self, from: mistyped) }
        let trailing = EventRecord(
            topic: "t", partition: 0, offset: 0, key: "k", type: MessagesRead.type, version: 1,
            value: Data(#"{"conv":"g","user":"u","up_to":1,"ts":2} x"#.utf8)
        )
        #expect(throws: JSONError("expected the end of the input at byte 41")) {
            try EventCoding.decode(MessagesRead.self, from: trailing)
        }
        // Fields a later version added are skipped.
        let snake = EventRecord(
            topic: "t", partition: 0, offset: 0, key: "k", type: MessagesRead.type, version: 1,
            value: Data(#"{"conv":"g","user":"u","up_to":1,"ts":2,"later":{"x":[1,null]}}"#.utf8)
        )
        #expect(try EventCoding.decode(MessagesRead.self, from: snake) == MessagesRead(conv: "g", user: "u", upTo: 1, ts: 2))
    }

    @Test func errorDescriptionsNameTheType() {
        #expect(EventDecodingError.wrongType("A", expected: "B").description == "record of type A where B was expected")
        #expect(EventDecodingError.newerVersion("A", 3).description == "A v3 is newer than this build understands")
        #expect(EventDecodingError.unknownType("Z").description == "unknown event type Z")
    }

    // MARK: - Dispatch

    static let conversationSamples: [(ConversationEvent, String)] = [
        (.groupCreated(GroupCreated(groupId: "g1", name: "n", creator: "a", members: ["b"], ts: 1)), "g1"),
        (.memberAdded(MemberAdded(conv: "g2", user: "c", by: "a", ts: 2)), "g2"),
        (.memberRemoved(MemberRemoved(conv: "g3", user: "c", by: "c", ts: 3)), "g3"),
        (.messageSent(MessageSent(conv: "d-a-b", from: "a", device: "p", clientId: "x", peer: "b", body: "y", media: nil, ts: 4)), "d-a-b"),
        (.delivered(MessagesDelivered(conv: "g4", user: "b", upTo: 7, ts: 5)), "g4"),
        (.read(MessagesRead(conv: "g5", user: "b", upTo: 6, ts: 6)), "g5"),
    ]

    @Test(arguments: conversationSamples.indices)
    func conversationEventDispatchesOnTheTypeHeader(index: Int) throws {
        let (event, conversation) = Self.conversationSamples[index]
        let encoded = try #require(conversationRecords([event]).first)
        #expect(try ConversationEvent(encoded) == event)
        #expect(event.conversation == conversation)
        #expect(encoded.key == conversation)
    }

    @Test func conversationDispatchUsesTheHeaderNotTheBody() throws {
        // The same body read as read or as delivered, depending only on the header.
        let body = EventCoding.encode(MessagesRead(conv: "g", user: "u", upTo: 4, ts: 5))
        var header = EventRecord(topic: "t", partition: 0, offset: 0, key: "g", type: "MessagesDelivered", version: 1, value: body)
        #expect(try ConversationEvent(header) == .delivered(MessagesDelivered(conv: "g", user: "u", upTo: 4, ts: 5)))
        header.type = "MessagesRead"
        #expect(try ConversationEvent(header) == .read(MessagesRead(conv: "g", user: "u", upTo: 4, ts: 5)))
    }

    static let inboxSamples: [(InboxEvent, String)] = [
        (.message(MessageDelivery(
            id: "o#0", msgId: "g.1", conv: "g", seq: 1, from: "a", groupId: "g", body: "b", media: nil, ts: 1,
            originDevice: nil, ref: nil
        )), "o#0"),
        (.repeated(SendRepeated(id: "o#1", device: "d", ref: "r", msgId: "g.1", conv: "g", seq: 1, ts: 1)), "o#1"),
        (.rejected(SendRejected(id: "o#2", device: "d", ref: "r", code: "not_found", message: "m")), "o#2"),
        (.receipt(ReceiptDelivery(id: "o#3", conv: "g", by: "b", status: "delivered", upTo: 1, ts: 2)), "o#3"),
    ]

    @Test(arguments: inboxSamples.indices)
    func inboxEventDispatchesOnTheTypeHeader(index: Int) throws {
        let (event, id) = Self.inboxSamples[index]
        let encoded: EventRecord = switch event {
        case .message(let e): record(e)
        case .repeated(let e): record(e)
        case .rejected(let e): record(e)
        case .receipt(let e): record(e)
        }
        #expect(try InboxEvent(encoded) == event)
        #expect(event.id == id)
    }

    @Test func recordPositionAndCursorKey() {
        let record = EventRecord(topic: "chat.inbox", partition: 7, offset: 42, key: "u", type: "x", version: 1, value: Data())
        #expect(record.position == "chat.inbox/7@42")
        #expect(DeviceCursor(user: "u1", device: "phone", acked: 1, ts: 2).key == "u1/phone")
    }
}
