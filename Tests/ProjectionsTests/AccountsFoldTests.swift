@testable import Projections
import Testing

@Suite struct AccountsFoldTests {
    private func registration(_ userId: String, _ username: String, display: String? = nil, ts: Int64 = 1) -> UserRegistered {
        UserRegistered(
            userId: userId, username: username, displayName: display ?? username,
            password: PasswordHash(algorithm: "pbkdf2-sha256", iterations: 1000, salt: "salt-\(userId)", hash: "hash-\(userId)"),
            ts: ts
        )
    }

    @Test func anEmptyStateKnowsNobody() {
        let state = AccountsState()
        #expect(state.byId.isEmpty)
        #expect(state.idByUsername.isEmpty)
        #expect(state.account("alice") == nil)
    }

    @Test func theFirstRegistrationOfAUsernameWins() throws {
        var state = AccountsState()
        #expect(state.apply(registration("u1", "alice", display: "Alice", ts: 10)) == .registered)
        #expect(state.apply(registration("u2", "alice", display: "Impostor", ts: 11)) == .usernameTaken)
        let alice = try #require(state.account("alice"))
        #expect(alice.userId == "u1")
        #expect(alice.displayName == "Alice")
        #expect(state.account("u2") == nil)
        #expect(state.byId.keys.sorted() == ["u1"])
        #expect(state.idByUsername == ["alice": "u1"])
    }

    @Test func aUserIdIsRegisteredOnce() {
        var state = AccountsState()
        #expect(state.apply(registration("u1", "alice")) == .registered)
        #expect(state.apply(registration("u1", "alicia")) == .duplicateUserId)
        #expect(state.account("alicia") == nil)
        #expect(state.account("u1")?.username == "alice")
        #expect(state.idByUsername == ["alice": "u1"])
    }

    @Test func theSameRegistrationTwiceIsRefusedAsTaken() {
        var state = AccountsState()
        let event = registration("u1", "alice")
        #expect(state.apply(event) == .registered)
        let before = state
        #expect(state.apply(event) == .usernameTaken)
        #expect(state == before)
    }

    @Test func lookupByIdOrByUsername() throws {
        var state = AccountsState()
        #expect(state.apply(registration("u1", "alice", display: "Alice A.", ts: 100)) == .registered)
        #expect(state.apply(registration("u2", "bob", ts: 200)) == .registered)
        let byId = try #require(state.account("u1"))
        let byName = try #require(state.account("alice"))
        #expect(byId == byName)
        #expect(byId == AccountsState.Account(
            userId: "u1", username: "alice", displayName: "Alice A.",
            password: PasswordHash(algorithm: "pbkdf2-sha256", iterations: 1000, salt: "salt-u1", hash: "hash-u1"),
            registeredAt: 100
        ))
        #expect(state.account("bob")?.userId == "u2")
        #expect(state.account("u2")?.registeredAt == 200)
        #expect(state.account("carol") == nil)
        #expect(state.account("") == nil)
    }

    @Test func usernamesAreCaseSensitiveKeys() {
        // The gateway only accepts lowercase usernames; the fold compares them exactly.
        var state = AccountsState()
        #expect(state.apply(registration("u1", "alice")) == .registered)
        #expect(state.apply(registration("u2", "Alice")) == .registered)
        #expect(state.account("Alice")?.userId == "u2")
    }

    @Test func everyNodeReplayingTheLogAgrees() {
        let log = [
            registration("u1", "alice", ts: 1), registration("u2", "bob", ts: 2), registration("u3", "alice", ts: 3),
            registration("u2", "carol", ts: 4), registration("u4", "carol", ts: 5),
        ]
        var first = AccountsState()
        var second = AccountsState()
        let outcomes = log.map { first.apply($0) }
        #expect(outcomes == [.registered, .registered, .usernameTaken, .duplicateUserId, .registered])
        #expect(log.map { second.apply($0) } == outcomes)
        #expect(first == second)
        #expect(first.idByUsername == ["alice": "u1", "bob": "u2", "carol": "u4"])
    }
}
