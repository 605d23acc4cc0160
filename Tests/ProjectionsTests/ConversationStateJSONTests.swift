import JSON
@testable import Projections
import Testing

@Suite struct ConversationStateJSONTests {
    private func encode(_ state: ConversationState) -> String {
        String(decoding: state.jsonData, as: UTF8.self)
    }

    private func decode(_ text: String) throws -> ConversationState {
        try ConversationState(parsing: text.utf8)
    }

    @Test func theStoredFormHasSortedKeysAtEveryLevelAndNoClientIdWindows() throws {
        var state = ConversationState(
            id: "g1", kind: .group, name: "crew \"a\"", members: ["zed": .member, "ann": .admin], createdAt: 5
        )
        state.lastSeq = 3
        state.lastMessageTs = 9
        state.delivered = ["zed": 2, "ann": 3]
        state.read = ["ann": 3]
        state.sent = ["ann": .init(first: 1, last: 3)]
        state.recentSends = ["ann": .init([.init(clientId: "c1", seq: 1, ts: 9)])]
        let text = encode(state)
        #expect(text == #"{"createdAt":5,"delivered":{"ann":3,"zed":2},"id":"g1","kind":"group","lastMessageTs":9,"lastSeq":3,"members":{"ann":"admin","zed":"member"},"name":"crew \"a\"","read":{"ann":3},"sent":{"ann":{"first":1,"last":3}}}"#)

        var expected = state
        expected.recentSends = [:]
        #expect(try decode(text) == expected)
        // Built in another order, the same state is the same bytes.
        var reordered = ConversationState(
            id: "g1", kind: .group, name: "crew \"a\"", members: ["ann": .admin, "zed": .member], createdAt: 5
        )
        (reordered.lastSeq, reordered.lastMessageTs) = (3, 9)
        reordered.sent = ["ann": .init(first: 1, last: 3)]
        reordered.read = ["ann": 3]
        reordered.delivered = ["ann": 3, "zed": 2]
        #expect(encode(reordered) == text)
    }

    @Test func aDirectStateWithoutNameOrMessagesRoundTrips() throws {
        let state = ConversationState(id: "d-a-b", kind: .direct, name: nil, members: ["a": .member, "b": .member], createdAt: 1)
        let text = encode(state)
        #expect(text == #"{"createdAt":1,"delivered":{},"id":"d-a-b","kind":"direct","lastMessageTs":0,"lastSeq":0,"members":{"a":"member","b":"member"},"read":{},"sent":{}}"#)
        #expect(try decode(text) == state)
    }

    @Test func unknownKindsAndRolesAndMissingFieldsAreRefused() {
        #expect(throws: JSONError.self) { try decode(#"{"createdAt":1,"id":"x","kind":"channel","members":{}}"#) }
        #expect(throws: JSONError.self) { try decode(#"{"createdAt":1,"id":"x","kind":"group","members":{"a":"owner"}}"#) }
        #expect(throws: JSONError.missing("members")) { try decode(#"{"createdAt":1,"id":"x","kind":"group"}"#) }
    }
}
