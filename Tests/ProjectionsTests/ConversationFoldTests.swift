@testable import Projections
import Testing
import TestSupport

@Suite struct ConversationFoldTests {
    let direct = Identifiers.directConversation("alice", "bob")

    // MARK: - Direct conversations

    @Test func identifiersOfDirectConversationsAndMessages() {
        #expect(Identifiers.directConversation("bob", "alice") == "d-alice-bob")
        #expect(Identifiers.directConversation("alice", "bob") == "d-alice-bob")
        #expect(Identifiers.isDirect("d-alice-bob"))
        #expect(!Identifiers.isDirect("g123"))
        let members = Identifiers.directMembers("d-alice-bob")
        #expect(members?.0 == "alice" && members?.1 == "bob")
        #expect(Identifiers.directMembers("g1") == nil)
        #expect(Identifiers.messageId(conversation: "g1", seq: 42) == "g1.42")
    }

    @Test func firstMessageCreatesTheDirectConversation() throws {
        let (state, decisions) = ConversationFold.apply(
            nil, Make.direct("bob", to: "alice", id: "c1", body: "hello", media: ["m"], device: "web", ts: 1234)
        )
        let conversation = try #require(state)
        #expect(conversation.id == "d-alice-bob")
        #expect(conversation.kind == .direct)
        #expect(conversation.name == nil)
        #expect(conversation.members == ["alice": .member, "bob": .member])
        #expect(conversation.createdAt == 1234)
        #expect(conversation.lastSeq == 1)
        #expect(conversation.lastMessageTs == 1234)
        #expect(decisions == [.messageAccepted(AcceptedMessage(
            msgId: "d-alice-bob.1", conv: "d-alice-bob", seq: 1, from: "bob", device: "web", clientId: "c1", groupId: nil,
            body: "hello", media: ["m"], ts: 1234, recipients: ["alice", "bob"]
        ))])
    }

    static let mismatchedDirectSends: [(String, String?)] = [
        ("d-alice-carol", "bob"), // someone else's conversation
        ("d-bob-alice", "bob"), // not the canonical order
        ("d-alice-bob", nil), // no peer
        ("d-alice-bob", "alice"), // peer is the sender
        ("d-", "bob"),
    ]

    @Test(arguments: mismatchedDirectSends)
    func aDirectConversationIdMustBeThatOfSenderAndPeer(conv: String, peer: String?) {
        let event = MessageSent(conv: conv, from: "alice", device: "phone", clientId: "c9", peer: peer, body: "x", media: nil, ts: 1)
        let (state, decisions) = ConversationFold.apply(nil, .messageSent(event))
        #expect(state == nil)
        #expect(decisions.count == 1)
        let rejection = decisions.first?.rejection
        #expect(rejection?.code == .invalid)
        #expect(rejection?.user == "alice")
        #expect(rejection?.device == "phone")
        #expect(rejection?.ref == "c9")
        #expect(rejection?.message.isEmpty == false)
    }

    @Test func anOutsiderCannotSendToAnExistingDirectConversation() throws {
        let before = try #require(folded([Make.direct("alice", to: "bob", id: "c1")]))
        let event = MessageSent(conv: direct, from: "carol", device: "tab", clientId: "x", peer: "bob", body: "hi", media: nil, ts: 9)
        let (after, decisions) = ConversationFold.apply(before, .messageSent(event))
        #expect(after == before)
        #expect(decisions == [.rejected(Rejection(
            code: .forbidden, message: "not a member of \(direct)", user: "carol", device: "tab", ref: "x"
        ))])
    }

    // MARK: - Sequencing

    @Test func seqIsDenseFromOneAcrossSenders() throws {
        let senders = ["alice", "bob", "bob", "alice", "bob", "alice", "alice"]
        let events = senders.enumerated().map { index, from in
            Make.direct(from, to: from == "alice" ? "bob" : "alice", id: "c\(index)", ts: 100 + Int64(index))
        }
        let (state, decisions) = fold(events)
        let accepted = decisions.map { $0.first?.accepted }
        #expect(accepted.map { $0?.seq ?? -1 } == Array(Int64(1)...7))
        #expect(accepted.map { $0?.from ?? "" } == senders)
        #expect(accepted.map { $0?.msgId ?? "" } == (1...7).map { Identifiers.messageId(conversation: direct, seq: Int64($0)) })
        #expect(accepted.map { $0?.ts ?? -1 } == (0..<7).map { 100 + Int64($0) })
        let conversation = try #require(state)
        #expect(conversation.lastSeq == 7)
        #expect(conversation.lastMessageTs == 106)
        #expect(conversation.createdAt == 100)
        #expect(conversation.sent == [
            "alice": .init(first: 1, last: 7), "bob": .init(first: 2, last: 5),
        ])
    }

    @Test func groupMessagesCarryTheGroupAndTheMembersOfTheTime() throws {
        let (state, decisions) = fold([
            Make.group("g1", by: "alice", with: ["bob"]),
            Make.send("bob", to: "g1", id: "b1", ts: 20),
            Make.add("carol", to: "g1", by: "alice"),
            Make.send("carol", to: "g1", id: "c1", ts: 30),
            Make.send("alice", to: "g1", id: "a1", body: nil, media: ["m1", "m2"], device: "web", ts: 40),
        ])
        #expect(decisions[1] == [.messageAccepted(AcceptedMessage(
            msgId: "g1.1", conv: "g1", seq: 1, from: "bob", device: "phone", clientId: "b1", groupId: "g1", body: "hi",
            media: nil, ts: 20, recipients: ["alice", "bob"]
        ))])
        #expect(decisions[3].first?.accepted?.seq == 2)
        #expect(decisions[3].first?.accepted?.recipients == ["alice", "bob", "carol"])
        #expect(decisions[4] == [.messageAccepted(AcceptedMessage(
            msgId: "g1.3", conv: "g1", seq: 3, from: "alice", device: "web", clientId: "a1", groupId: "g1", body: nil,
            media: ["m1", "m2"], ts: 40, recipients: ["alice", "bob", "carol"]
        ))])
        #expect(state?.lastSeq == 3)
        #expect(state?.lastMessageTs == 40)
    }

    // MARK: - Client ids

    @Test func aRepeatedClientIdAnswersTheOriginalAndChangesNothing() throws {
        let before = try #require(folded([
            Make.direct("alice", to: "bob", id: "c1", ts: 10),
            Make.direct("bob", to: "alice", id: "b1", ts: 11),
            Make.direct("alice", to: "bob", id: "c2", ts: 12),
        ]))
        let retry = Make.direct("alice", to: "bob", id: "c1", body: "changed", device: "laptop", ts: 99)
        let (after, decisions) = ConversationFold.apply(before, retry)
        #expect(after == before)
        #expect(decisions == [.messageRepeated(conv: direct, from: "alice", device: "laptop", clientId: "c1", seq: 1, ts: 10)])
        // The next new message still gets the next seq.
        let (_, next) = ConversationFold.apply(after, Make.direct("alice", to: "bob", id: "c3", ts: 100))
        #expect(next.first?.accepted?.seq == 4)
    }

    @Test func clientIdsArePerSender() throws {
        let before = try #require(folded([Make.direct("alice", to: "bob", id: "same")]))
        let (after, decisions) = ConversationFold.apply(before, Make.direct("bob", to: "alice", id: "same"))
        #expect(decisions.first?.accepted?.seq == 2)
        #expect(after?.lastSeq == 2)
    }

    @Test func clientIdsArePerConversation() throws {
        let (state, decisions) = fold([
            Make.group("g1", by: "alice", with: ["bob"]),
            Make.send("alice", to: "g1", id: "same"),
        ])
        #expect(decisions[1].first?.accepted?.seq == 1)
        // The same client id in the direct conversation is a new message there.
        let (_, other) = ConversationFold.apply(nil, Make.direct("alice", to: "bob", id: "same"))
        #expect(other.first?.accepted?.seq == 1)
        #expect(state?.lastSeq == 1)
    }

    /// `sent` messages of alice with ids m0, m1, …
    private func stateAfter(sending count: Int) throws -> ConversationState {
        var state = try #require(folded([Make.group("g1", by: "alice", with: ["bob"])]))
        for index in 0..<count {
            let (next, decisions) = ConversationFold.apply(state, Make.send("alice", to: "g1", id: "m\(index)", ts: Int64(index)))
            guard decisions.first?.accepted?.seq == Int64(index + 1) else {
                Issue.record("message \(index) was not accepted: \(decisions)")
                return state
            }
            state = try #require(next)
        }
        return state
    }

    @Test func theWindowRemembersTheLastThousandClientIds() throws {
        #expect(ConversationState.clientIdWindow == 1000)
        let state = try stateAfter(sending: 1000)
        #expect(state.recentSends["alice"]?.count == 1000)
        let (_, oldest) = ConversationFold.apply(state, Make.send("alice", to: "g1", id: "m0"))
        #expect(oldest == [.messageRepeated(conv: "g1", from: "alice", device: "phone", clientId: "m0", seq: 1, ts: 0)])
    }

    @Test func theThousandAndFirstOldestClientIdIsForgotten() throws {
        let state = try stateAfter(sending: 1001)
        #expect(state.recentSends["alice"]?.count == 1000)
        #expect(state.recentSends["alice"]?.oldest == "m1")
        let (after, forgotten) = ConversationFold.apply(state, Make.send("alice", to: "g1", id: "m0", ts: 5000))
        #expect(forgotten.first?.accepted?.seq == 1002)
        #expect(after?.lastSeq == 1002)
        // m1 is still remembered in the original state.
        let (_, remembered) = ConversationFold.apply(state, Make.send("alice", to: "g1", id: "m1"))
        #expect(remembered == [.messageRepeated(conv: "g1", from: "alice", device: "phone", clientId: "m1", seq: 2, ts: 1)])
    }

    @Test func theWindowIsPerSender() throws {
        var state = try stateAfter(sending: 1001)
        // Bob's one message is remembered although alice's window is full.
        let (next, _) = ConversationFold.apply(state, Make.send("bob", to: "g1", id: "b0", ts: 7))
        state = try #require(next)
        let (_, decisions) = ConversationFold.apply(state, Make.send("bob", to: "g1", id: "b0"))
        #expect(decisions == [.messageRepeated(conv: "g1", from: "bob", device: "phone", clientId: "b0", seq: 1002, ts: 7)])
    }

    // MARK: - Refused sends

    @Test func aNonMemberCannotSendToAGroup() throws {
        let before = try #require(folded([Make.group("g1", by: "alice", with: ["bob"])]))
        let (after, decisions) = ConversationFold.apply(before, Make.send("mallory", to: "g1", id: "x1", device: "laptop"))
        #expect(after == before)
        #expect(decisions == [.rejected(Rejection(
            code: .forbidden, message: "not a member of g1", user: "mallory", device: "laptop", ref: "x1"
        ))])
    }

    @Test func aRemovedMemberCannotSendAnyMore() throws {
        let before = try #require(folded([
            Make.group("g1", by: "alice", with: ["bob"]),
            Make.send("bob", to: "g1", id: "b1"),
            Make.remove("bob", from: "g1", by: "bob"),
        ]))
        // Not even a retry of a message sent while a member.
        let (after, decisions) = ConversationFold.apply(before, Make.send("bob", to: "g1", id: "b1"))
        #expect(after == before)
        #expect(decisions.first?.rejection?.code == .forbidden)
    }

    @Test func sendingToAnUnknownGroupIsNotFound() {
        let (state, decisions) = ConversationFold.apply(nil, Make.send("alice", to: "g-missing", id: "c1", device: "web"))
        #expect(state == nil)
        #expect(decisions == [.rejected(Rejection(
            code: .notFound, message: "no conversation g-missing", user: "alice", device: "web", ref: "c1"
        ))])
    }

    // MARK: - Groups

    @Test func groupCreatedMakesTheCreatorAdminAndTheOthersMembers() throws {
        let (state, decisions) = ConversationFold.apply(nil, Make.group("g1", by: "carol", with: ["bob", "alice", "carol"], name: "Trip", ts: 77))
        let group = try #require(state)
        #expect(group.id == "g1")
        #expect(group.kind == .group)
        #expect(group.name == "Trip")
        #expect(group.createdAt == 77)
        #expect(group.members == ["alice": .member, "bob": .member, "carol": .admin])
        #expect(group.lastSeq == 0)
        #expect(group.lastMessageTs == 0)
        #expect(group.isAdmin("carol") && !group.isAdmin("bob"))
        #expect(decisions == [.groupCreated(members: ["alice", "bob", "carol"])])
    }

    @Test func aGroupCanBeCreatedWithTheCreatorAlone() throws {
        let (state, decisions) = ConversationFold.apply(nil, Make.group("g1", by: "alice", with: []))
        #expect(state?.members == ["alice": .admin])
        #expect(decisions == [.groupCreated(members: ["alice"])])
    }

    @Test func aSecondGroupCreatedIsAConflict() throws {
        let before = try #require(folded([Make.group("g1", by: "alice", with: ["bob"]), Make.send("bob", to: "g1", id: "b")]))
        let (after, decisions) = ConversationFold.apply(before, Make.group("g1", by: "mallory", with: ["eve"], name: "mine"))
        #expect(after == before)
        #expect(decisions == [.rejected(Rejection(
            code: .conflict, message: "group g1 already exists", user: "mallory", device: nil, ref: nil
        ))])
    }

    @Test func onlyAdminsAddMembers() throws {
        let before = try #require(folded([Make.group("g1", by: "alice", with: ["bob"])]))
        for by in ["bob", "mallory"] {
            let (after, decisions) = ConversationFold.apply(before, Make.add("carol", to: "g1", by: by))
            #expect(after == before)
            #expect(decisions == [.rejected(Rejection(
                code: .forbidden, message: "only admins add members", user: by, device: nil, ref: nil
            ))])
        }
        let (after, decisions) = ConversationFold.apply(before, Make.add("carol", to: "g1", by: "alice"))
        #expect(decisions == [.memberAdded(user: "carol", by: "alice")])
        #expect(after?.members == ["alice": .admin, "bob": .member, "carol": .member])
    }

    @Test func addingAMemberTwiceIsUnchanged() throws {
        let before = try #require(folded([
            Make.group("g1", by: "alice", with: ["bob"]), Make.add("carol", to: "g1", by: "alice"),
        ]))
        for user in ["carol", "bob", "alice"] {
            let (after, decisions) = ConversationFold.apply(before, Make.add(user, to: "g1", by: "alice"))
            #expect(after == before)
            #expect(decisions == [.unchanged])
        }
    }

    @Test func newcomersStartWithEverythingBeforeDeliveredAndRead() throws {
        let (state, decisions) = fold([
            Make.group("g1", by: "alice", with: ["bob"]),
            Make.send("alice", to: "g1", id: "a1"),
            Make.send("bob", to: "g1", id: "b1"),
            Make.send("alice", to: "g1", id: "a2"),
            Make.add("carol", to: "g1", by: "alice"),
            // Nothing before the join is for carol to acknowledge.
            Make.read("carol", "g1", upTo: 3),
            Make.send("bob", to: "g1", id: "b2"),
            Make.delivered("carol", "g1", upTo: 4, ts: 90),
        ])
        #expect(decisions[4] == [.memberAdded(user: "carol", by: "alice")])
        #expect(decisions[5] == [.unchanged])
        #expect(decisions[7] == [.cursorAdvanced(conv: "g1", user: "carol", status: .delivered, upTo: 4, ts: 90, notify: ["bob"])])
        #expect(state?.delivered["carol"] == 4)
        #expect(state?.read["carol"] == 3)
    }

    @Test func addingToAnUnknownGroupOrADirectConversationIsNotFound() throws {
        let (state, decisions) = ConversationFold.apply(nil, Make.add("carol", to: "g9", by: "alice"))
        #expect(state == nil)
        #expect(decisions == [.rejected(Rejection(code: .notFound, message: "no group g9", user: "alice", device: nil, ref: nil))])

        let pair = try #require(folded([Make.direct("alice", to: "bob", id: "c1")]))
        let (after, refused) = ConversationFold.apply(pair, Make.add("carol", to: direct, by: "alice"))
        #expect(after == pair)
        #expect(refused.first?.rejection?.code == .notFound)
        let (afterRemove, refusedRemove) = ConversationFold.apply(pair, Make.remove("bob", from: direct, by: "bob"))
        #expect(afterRemove == pair)
        #expect(refusedRemove.first?.rejection?.code == .notFound)
    }

    @Test func anAdminRemovesAMemberAndItsCursors() throws {
        let before = try #require(folded([
            Make.group("g1", by: "alice", with: ["bob", "carol"]),
            Make.send("bob", to: "g1", id: "b1"),
            Make.read("carol", "g1", upTo: 1),
        ]))
        #expect(before.read["carol"] == 1)
        let (after, decisions) = ConversationFold.apply(before, Make.remove("carol", from: "g1", by: "alice"))
        #expect(decisions == [.memberRemoved(user: "carol", by: "alice")])
        let group = try #require(after)
        #expect(group.members == ["alice": .admin, "bob": .member])
        #expect(group.delivered["carol"] == nil)
        #expect(group.read["carol"] == nil)
        #expect(group.lastSeq == 1)
    }

    @Test func aMemberLeavesButCannotRemoveOthers() throws {
        let before = try #require(folded([Make.group("g1", by: "alice", with: ["bob", "carol"])]))
        let (same, refused) = ConversationFold.apply(before, Make.remove("carol", from: "g1", by: "bob"))
        #expect(same == before)
        #expect(refused == [.rejected(Rejection(
            code: .forbidden, message: "only admins remove other members", user: "bob", device: nil, ref: nil
        ))])
        let (outsider, refusedOutsider) = ConversationFold.apply(before, Make.remove("carol", from: "g1", by: "mallory"))
        #expect(outsider == before)
        #expect(refusedOutsider.first?.rejection?.code == .forbidden)

        let (after, decisions) = ConversationFold.apply(before, Make.remove("bob", from: "g1", by: "bob"))
        #expect(decisions == [.memberRemoved(user: "bob", by: "bob")])
        // A member leaving promotes nobody: the admin is still there.
        #expect(after?.members == ["alice": .admin, "carol": .member])
    }

    @Test func removingANonMemberOrFromAnUnknownGroupIsNotFound() throws {
        let before = try #require(folded([Make.group("g1", by: "alice", with: ["bob"])]))
        let (after, decisions) = ConversationFold.apply(before, Make.remove("zed", from: "g1", by: "alice"))
        #expect(after == before)
        #expect(decisions == [.rejected(Rejection(code: .notFound, message: "zed is not a member", user: "alice", device: nil, ref: nil))])
        let (leftTwice, again) = ConversationFold.apply(before, Make.remove("zed", from: "g1", by: "zed"))
        #expect(leftTwice == before)
        #expect(again.first?.rejection?.code == .notFound)
        let (none, missing) = ConversationFold.apply(nil, Make.remove("bob", from: "g2", by: "alice"))
        #expect(none == nil)
        #expect(missing == [.rejected(Rejection(code: .notFound, message: "no group g2", user: "alice", device: nil, ref: nil))])
    }

    static let heirCases: [([String], String)] = [
        (["zed", "bob", "carol"], "bob"),
        (["yves", "xena"], "xena"),
        (["Zed", "abe"], "Zed"), // byte order: uppercase first
        (["bob"], "bob"),
    ]

    @Test(arguments: heirCases)
    func theLastAdminLeavingPromotesTheFirstRemainingMember(others: [String], heir: String) throws {
        let before = try #require(folded([Make.group("g1", by: "mallory", with: others)]))
        let (after, decisions) = ConversationFold.apply(before, Make.remove("mallory", from: "g1", by: "mallory"))
        #expect(decisions == [.memberRemoved(user: "mallory", by: "mallory")])
        let group = try #require(after)
        #expect(group.members[heir] == .admin)
        #expect(group.members.count == others.count)
        #expect(group.members.values.filter { $0 == .admin }.count == 1)
        // The heir now acts as an admin.
        let (_, added) = ConversationFold.apply(group, Make.add("newbie", to: "g1", by: heir))
        #expect(added == [.memberAdded(user: "newbie", by: heir)])
    }

    @Test func theLastMemberLeavingLeavesAnEmptyGroup() throws {
        let before = try #require(folded([Make.group("g1", by: "alice", with: [])]))
        let (after, decisions) = ConversationFold.apply(before, Make.remove("alice", from: "g1", by: "alice"))
        #expect(decisions == [.memberRemoved(user: "alice", by: "alice")])
        #expect(after?.members == [:])
        #expect(after?.id == "g1")
        // The group still exists: it cannot be created again.
        let (_, again) = ConversationFold.apply(after, Make.group("g1", by: "bob", with: []))
        #expect(again.first?.rejection?.code == .conflict)
    }

    // MARK: - Cursors

    /// alice sends 1 and 2, bob sends 3, in a group of alice (admin), bob, carol and dave.
    private func cursorGroup() throws -> ConversationState {
        try #require(folded([
            Make.group("g1", by: "alice", with: ["bob", "carol", "dave"]),
            Make.send("alice", to: "g1", id: "a1", ts: 10),
            Make.send("alice", to: "g1", id: "a2", ts: 11),
            Make.send("bob", to: "g1", id: "b1", ts: 12),
        ]))
    }

    @Test func theSendersOwnCursorsMoveToItsMessage() throws {
        let group = try cursorGroup()
        #expect(group.delivered == ["alice": 2, "bob": 3])
        #expect(group.read == ["alice": 2, "bob": 3])
        #expect(group.sent == ["alice": .init(first: 1, last: 2), "bob": .init(first: 3, last: 3)])
    }

    @Test func deliveredAdvancesAndNotifiesTheSendersItCovers() throws {
        let group = try cursorGroup()
        let (after, decisions) = ConversationFold.apply(group, Make.delivered("carol", "g1", upTo: 2, ts: 50))
        #expect(decisions == [.cursorAdvanced(conv: "g1", user: "carol", status: .delivered, upTo: 2, ts: 50, notify: ["alice"])])
        #expect(after?.delivered["carol"] == 2)
        #expect(after?.read["carol"] == nil)
    }

    @Test func cursorsNeverMoveBack() throws {
        let group = try #require(fold([Make.delivered("carol", "g1", upTo: 2)], from: try cursorGroup()).0)
        for upTo: Int64 in [2, 1, 0, -5] {
            let (after, decisions) = ConversationFold.apply(group, Make.delivered("carol", "g1", upTo: upTo))
            #expect(after == group)
            #expect(decisions == [.unchanged])
        }
        let read = try #require(fold([Make.read("dave", "g1", upTo: 3)], from: group).0)
        let (after, decisions) = ConversationFold.apply(read, Make.read("dave", "g1", upTo: 1))
        #expect(after == read)
        #expect(decisions == [.unchanged])
        #expect(read.read["dave"] == 3)
        #expect(read.delivered["dave"] == 3)
    }

    @Test func cursorsClampToTheLastSeq() throws {
        let group = try cursorGroup()
        let (after, decisions) = ConversationFold.apply(group, Make.delivered("carol", "g1", upTo: 1_000, ts: 51))
        #expect(decisions == [.cursorAdvanced(conv: "g1", user: "carol", status: .delivered, upTo: 3, ts: 51, notify: ["alice", "bob"])])
        #expect(after?.delivered["carol"] == 3)
        // Already at the end: any higher value is unchanged.
        let (again, unchanged) = ConversationFold.apply(after, Make.delivered("carol", "g1", upTo: 2_000))
        #expect(again == after)
        #expect(unchanged == [.unchanged])
    }

    @Test func readImpliesDelivered() throws {
        let group = try cursorGroup()
        let (after, decisions) = ConversationFold.apply(group, Make.read("carol", "g1", upTo: 3, ts: 60))
        #expect(decisions == [
            .cursorAdvanced(conv: "g1", user: "carol", status: .delivered, upTo: 3, ts: 60, notify: ["alice", "bob"]),
            .cursorAdvanced(conv: "g1", user: "carol", status: .read, upTo: 3, ts: 60, notify: ["alice", "bob"]),
        ])
        #expect(after?.delivered["carol"] == 3)
        #expect(after?.read["carol"] == 3)
    }

    @Test func readBehindDeliveredMovesOnlyRead() throws {
        let group = try #require(fold([Make.delivered("dave", "g1", upTo: 3)], from: try cursorGroup()).0)
        let (after, decisions) = ConversationFold.apply(group, Make.read("dave", "g1", upTo: 2, ts: 61))
        #expect(decisions == [.cursorAdvanced(conv: "g1", user: "dave", status: .read, upTo: 2, ts: 61, notify: ["alice"])])
        #expect(after?.delivered["dave"] == 3)
        #expect(after?.read["dave"] == 2)
    }

    @Test func eachStatusNotifiesFromItsOwnOldCursor() throws {
        let group = try #require(fold([Make.delivered("dave", "g1", upTo: 2)], from: try cursorGroup()).0)
        let (_, decisions) = ConversationFold.apply(group, Make.read("dave", "g1", upTo: 3, ts: 62))
        #expect(decisions == [
            .cursorAdvanced(conv: "g1", user: "dave", status: .delivered, upTo: 3, ts: 62, notify: ["bob"]),
            .cursorAdvanced(conv: "g1", user: "dave", status: .read, upTo: 3, ts: 62, notify: ["alice", "bob"]),
        ])
    }

    /// Messages: alice 1, bob 2, alice 3, carol 4; sent ranges alice 1…3, bob 2…2, carol 4…4.
    /// A sender is notified when its range meets (old, new].
    static let rangeCases: [(Int64, Int64, [String])] = [
        (0, 1, ["alice"]),
        (0, 2, ["alice", "bob"]),
        (0, 4, ["alice", "bob", "carol"]),
        (1, 2, ["alice", "bob"]),
        (2, 3, ["alice"]),
        (3, 4, ["carol"]),
        (2, 4, ["alice", "carol"]),
    ]

    @Test(arguments: rangeCases)
    func notifyFollowsTheSentRanges(old: Int64, new: Int64, notify: [String]) throws {
        var state = try #require(folded([
            Make.group("g1", by: "alice", with: ["bob", "carol", "dave"]),
            Make.send("alice", to: "g1", id: "1"),
            Make.send("bob", to: "g1", id: "2"),
            Make.send("alice", to: "g1", id: "3"),
            Make.send("carol", to: "g1", id: "4"),
        ]))
        if old > 0 { state = try #require(ConversationFold.apply(state, Make.delivered("dave", "g1", upTo: old)).0) }
        let (_, decisions) = ConversationFold.apply(state, Make.delivered("dave", "g1", upTo: new, ts: 70))
        #expect(decisions == [.cursorAdvanced(conv: "g1", user: "dave", status: .delivered, upTo: new, ts: 70, notify: notify)])
    }

    @Test func notifyExcludesTheReaderEvenWhenItsMessagesAreCovered() throws {
        // A state where bob's cursor lags behind his own messages (built by hand: the fold
        // itself always moves a sender's cursors to its message).
        var state = ConversationState(id: "g1", kind: .group, name: "n", members: ["alice": .admin, "bob": .member], createdAt: 1)
        state.lastSeq = 3
        state.sent = ["alice": .init(first: 1, last: 1), "bob": .init(first: 2, last: 3)]
        let (after, decisions) = ConversationFold.apply(state, Make.read("bob", "g1", upTo: 3, ts: 5))
        #expect(decisions == [
            .cursorAdvanced(conv: "g1", user: "bob", status: .delivered, upTo: 3, ts: 5, notify: ["alice"]),
            .cursorAdvanced(conv: "g1", user: "bob", status: .read, upTo: 3, ts: 5, notify: ["alice"]),
        ])
        #expect(after?.read["bob"] == 3)
        // Only its own messages: an advance nobody else hears of.
        let (_, alone) = ConversationFold.apply(state, Make.delivered("alice", "g1", upTo: 1, ts: 6))
        #expect(alone == [.cursorAdvanced(conv: "g1", user: "alice", status: .delivered, upTo: 1, ts: 6, notify: [])])
    }

    @Test(.disabled("bug: a member that left is still notified of receipts (ConversationFold.swift:226-228 filters `sent` by range only, not by membership)"))
    func formerMembersAreNotNotified() throws {
        let state = try #require(folded([
            Make.group("g1", by: "alice", with: ["bob", "carol"]),
            Make.send("bob", to: "g1", id: "b1"),
            Make.send("alice", to: "g1", id: "a1"),
            Make.remove("bob", from: "g1", by: "bob"),
        ]))
        let (_, decisions) = ConversationFold.apply(state, Make.read("carol", "g1", upTo: 2, ts: 9))
        #expect(decisions == [
            .cursorAdvanced(conv: "g1", user: "carol", status: .delivered, upTo: 2, ts: 9, notify: ["alice"]),
            .cursorAdvanced(conv: "g1", user: "carol", status: .read, upTo: 2, ts: 9, notify: ["alice"]),
        ])
    }

    @Test func cursorsOfNonMembersAndUnknownConversationsAreUnchanged() throws {
        let group = try cursorGroup()
        let (after, decisions) = ConversationFold.apply(group, Make.read("mallory", "g1", upTo: 3))
        #expect(after == group)
        #expect(decisions == [.unchanged])
        let (none, nothing) = ConversationFold.apply(nil, Make.delivered("alice", "g7", upTo: 1))
        #expect(none == nil)
        #expect(nothing == [.unchanged])
        // An empty conversation has nothing to acknowledge.
        let empty = try #require(folded([Make.group("g2", by: "alice", with: ["bob"])]))
        let (same, unchanged) = ConversationFold.apply(empty, Make.read("bob", "g2", upTo: 5))
        #expect(same == empty)
        #expect(unchanged == [.unchanged])
    }

    @Test func directConversationReceipts() throws {
        let (state, decisions) = fold([
            Make.direct("alice", to: "bob", id: "a1"),
            Make.direct("alice", to: "bob", id: "a2"),
            Make.delivered("bob", direct, upTo: 2, ts: 20),
            Make.direct("bob", to: "alice", id: "b1"),
            Make.read("alice", direct, upTo: 3, ts: 30),
        ])
        #expect(decisions[2] == [.cursorAdvanced(conv: direct, user: "bob", status: .delivered, upTo: 2, ts: 20, notify: ["alice"])])
        // alice's cursors are at 2 from her own sends: only bob's 3 is new.
        #expect(decisions[4] == [
            .cursorAdvanced(conv: direct, user: "alice", status: .delivered, upTo: 3, ts: 30, notify: ["bob"]),
            .cursorAdvanced(conv: direct, user: "alice", status: .read, upTo: 3, ts: 30, notify: ["bob"]),
        ])
        #expect(state?.delivered == ["alice": 3, "bob": 3])
        #expect(state?.read == ["alice": 3, "bob": 3])
    }

    // MARK: - Determinism

    /// A pseudo-random but reproducible history over a few users, direct conversations and groups.
    static func randomHistory(seed: UInt64, count: Int) -> [ConversationEvent] {
        var random = SplitMix64(seed: seed)
        let users = ["ann", "ben", "cal", "dee", "eve"]
        let groups = ["g1", "g2", "g3"]
        func user() -> String { users[Int(random.next() % UInt64(users.count))] }
        func group() -> String { groups[Int(random.next() % UInt64(groups.count))] }
        var events: [ConversationEvent] = []
        for index in 0..<count {
            let ts = Int64(1_000 + index)
            switch random.next() % 10 {
            case 0:
                let members = users.filter { _ in random.next() % 2 == 0 }
                events.append(.groupCreated(GroupCreated(groupId: group(), name: "n\(index)", creator: user(), members: members, ts: ts)))
            case 1:
                events.append(.memberAdded(MemberAdded(conv: group(), user: user(), by: user(), ts: ts)))
            case 2:
                let leaver = user()
                events.append(.memberRemoved(MemberRemoved(conv: group(), user: leaver, by: random.next() % 2 == 0 ? leaver : user(), ts: ts)))
            case 3, 4:
                let from = user()
                var peer = user()
                if peer == from { peer = users[(users.firstIndex(of: from)! + 1) % users.count] }
                let conv = random.next() % 8 == 0 ? "d-\(peer)-\(from)" : Identifiers.directConversation(from, peer)
                events.append(.messageSent(MessageSent(
                    conv: conv, from: from, device: "d\(random.next() % 3)", clientId: "c\(random.next() % 12)", peer: peer,
                    body: "b\(index)", media: nil, ts: ts
                )))
            case 5, 6:
                events.append(.messageSent(MessageSent(
                    conv: group(), from: user(), device: "d\(random.next() % 3)", clientId: "c\(random.next() % 12)", peer: nil,
                    body: nil, media: ["m\(index)"], ts: ts
                )))
            case 7:
                let conv = random.next() % 2 == 0 ? group() : Identifiers.directConversation(user(), user())
                events.append(.delivered(MessagesDelivered(conv: conv, user: user(), upTo: Int64(random.next() % 30), ts: ts)))
            default:
                let conv = random.next() % 2 == 0 ? group() : Identifiers.directConversation(user(), user())
                events.append(.read(MessagesRead(conv: conv, user: user(), upTo: Int64(random.next() % 30), ts: ts)))
            }
        }
        return events
    }

    static func replay(_ events: [ConversationEvent]) -> ([String: ConversationState], [[ConversationDecision]]) {
        var states: [String: ConversationState] = [:]
        var decisions: [[ConversationDecision]] = []
        for event in events {
            let (state, decided) = ConversationFold.apply(states[event.conversation], event)
            states[event.conversation] = state
            decisions.append(decided)
        }
        return (states, decisions)
    }

    @Test func splitMixIsSeededAndReproducible() {
        var first = SplitMix64(seed: 42)
        var second = SplitMix64(seed: 42)
        var other = SplitMix64(seed: 43)
        let a = (0..<8).map { _ in first.next() }
        #expect(a == (0..<8).map { _ in second.next() })
        #expect(a != (0..<8).map { _ in other.next() })
        // The reference value of SplitMix64 for seed 0.
        var zero = SplitMix64(seed: 0)
        #expect(zero.next() == 0xE220_A839_7B1D_CDAF)
    }

    @Test(arguments: [UInt64(1), 7, 42, 2024, 0xDEAD_BEEF])
    func replayingAHistoryTwiceGivesTheSameStatesAndDecisions(seed: UInt64) {
        let events = Self.randomHistory(seed: seed, count: 600)
        #expect(events == Self.randomHistory(seed: seed, count: 600))
        let (states, decisions) = Self.replay(events)
        let (again, decidedAgain) = Self.replay(events)
        #expect(states == again)
        #expect(decisions == decidedAgain)
        // Also as separate folds of each conversation's own events: order across keys does not matter.
        for (conv, state) in states {
            #expect(folded(events.filter { $0.conversation == conv }) == state)
        }

        // The history exercised the fold, and its invariants hold throughout.
        var accepted = 0, repeated = 0, advanced = 0, rejected = 0
        var lastSeq: [String: Int64] = [:]
        var running: [String: ConversationState] = [:]
        for (event, decided) in zip(events, decisions) {
            let before = running[event.conversation]
            let after = ConversationFold.apply(before, event).0
            running[event.conversation] = after
            for decision in decided {
                switch decision {
                case .messageAccepted(let message):
                    accepted += 1
                    #expect(message.seq == (lastSeq[message.conv] ?? 0) + 1, "seq is dense")
                    lastSeq[message.conv] = message.seq
                    #expect(message.recipients == after?.memberList)
                    #expect(message.recipients.contains(message.from))
                case .messageRepeated(let conv, _, _, _, let seq, _):
                    repeated += 1
                    #expect(seq <= lastSeq[conv] ?? 0)
                    #expect(after == before)
                case .cursorAdvanced(let conv, let user, _, let upTo, _, let notify):
                    advanced += 1
                    #expect(upTo <= lastSeq[conv] ?? 0)
                    #expect(!notify.contains(user))
                    #expect(notify == notify.sorted())
                case .rejected:
                    rejected += 1
                    #expect(after == before)
                case .unchanged:
                    #expect(after == before)
                case .groupCreated, .memberAdded, .memberRemoved:
                    break
                }
            }
            if let before, let after {
                for (member, cursor) in before.delivered where after.isMember(member) {
                    #expect((after.delivered[member] ?? 0) >= cursor, "delivered never moves back")
                }
                for (member, cursor) in before.read where after.isMember(member) {
                    #expect((after.read[member] ?? 0) >= cursor, "read never moves back")
                    #expect((after.delivered[member] ?? 0) >= (after.read[member] ?? 0), "read implies delivered")
                }
                if after.kind == .group, !after.members.isEmpty {
                    #expect(after.members.values.contains(.admin), "a group keeps an admin")
                }
            }
        }
        #expect(accepted > 50)
        #expect(repeated > 0)
        #expect(advanced > 10)
        #expect(rejected > 10)
    }
}
