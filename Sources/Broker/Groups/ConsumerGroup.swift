import KafkaProtocol
import NIOCore

/// The classic group protocol's states (Kafka's `GroupState`).
enum GroupState: String, Sendable {
    case empty = "Empty"
    case preparingRebalance = "PreparingRebalance"
    case completingRebalance = "CompletingRebalance"
    case stable = "Stable"
    case dead = "Dead"
}

/// One member of a group, as the coordinator tracks it.
struct GroupMember: Sendable {
    var id: String
    var clientId: String
    var clientHost: String
    var sessionTimeout: Duration
    var rebalanceTimeout: Duration
    var protocolType: String
    /// The assignors the member supports, in its order of preference, with its subscription
    /// metadata for each.
    var protocols: [(name: String, metadata: ByteBuffer)]
    var assignment = ByteBuffer()
    var lastSeen: ContinuousClock.Instant
    var pendingJoin: CheckedContinuation<JoinGroupResponse, Never>?
    var pendingSync: CheckedContinuation<SyncGroupResponse, Never>?

    func metadata(for name: String) -> ByteBuffer? {
        protocols.first { $0.name == name }?.metadata
    }

    func hasSameProtocols(as other: [(name: String, metadata: ByteBuffer)]) -> Bool {
        protocols.count == other.count && zip(protocols, other).allSatisfy { $0.name == $1.name && $0.metadata == $1.metadata }
    }
}

/// A consumer group: its members, generation and the state of its current rebalance.
struct ConsumerGroup: Sendable {
    let id: String
    var state = GroupState.empty
    var generation: Int32 = 0
    var protocolType: String?
    var selectedProtocol: String?
    var leader: String?
    /// Members in join order, so that the leader choice and the member lists are stable.
    var members: [String: GroupMember] = [:]
    var joinOrder: [String] = []
    /// Member ids handed out with MEMBER_ID_REQUIRED that have not joined yet, and until when
    /// they may.
    var pendingMembers: [String: ContinuousClock.Instant] = [:]
    /// When the current PreparingRebalance gives up on members that did not rejoin.
    var rebalanceDeadline: ContinuousClock.Instant?
    /// Until when a rebalance from Empty waits for more members (Kafka's initial delay).
    var initialDelayUntil: ContinuousClock.Instant?
    /// When the current CompletingRebalance gives up waiting for the leader's assignment.
    var syncDeadline: ContinuousClock.Instant?

    init(id: String) { self.id = id }

    var orderedMembers: [GroupMember] { joinOrder.compactMap { members[$0] } }

    var maxRebalanceTimeout: Duration {
        members.values.map(\.rebalanceTimeout).max() ?? .seconds(30)
    }

    mutating func add(_ member: GroupMember) {
        if members[member.id] == nil { joinOrder.append(member.id) }
        members[member.id] = member
    }

    mutating func remove(_ memberId: String) -> GroupMember? {
        joinOrder.removeAll { $0 == memberId }
        if leader == memberId { leader = nil }
        return members.removeValue(forKey: memberId)
    }

    /// The protocols every member supports; a newcomer must share at least one with them.
    var candidateProtocols: Set<String>? {
        members.values.reduce(nil as Set<String>?) { common, member in
            let names = Set(member.protocols.map(\.name))
            return common.map { $0.intersection(names) } ?? names
        }
    }

    /// Kafka's vote: each member votes for its most preferred candidate; most votes wins, ties
    /// go to the candidate the first member prefers.
    func selectProtocol() -> String? {
        guard let candidates = candidateProtocols, !candidates.isEmpty else { return nil }
        var votes: [String: Int] = [:]
        for member in orderedMembers {
            if let choice = member.protocols.first(where: { candidates.contains($0.name) })?.name {
                votes[choice, default: 0] += 1
            }
        }
        let preference = orderedMembers.first?.protocols.map(\.name) ?? []
        return votes.max { lhs, rhs in
            lhs.value != rhs.value
                ? lhs.value < rhs.value
                : (preference.firstIndex(of: lhs.key) ?? .max) > (preference.firstIndex(of: rhs.key) ?? .max)
        }?.key
    }
}
