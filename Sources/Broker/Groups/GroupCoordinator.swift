import Foundation
import KafkaProtocol
import Logging
import NIOCore

/// The classic consumer-group coordinator (Kafka's `GroupCoordinator`): membership with the
/// MEMBER_ID_REQUIRED handshake, rebalances through PreparingRebalance and
/// CompletingRebalance, session and rebalance timeouts, and committed offsets.
///
/// JoinGroup and SyncGroup requests park (their connections wait) until the rebalance they
/// take part in completes; a sweeper task enforces the timeouts.
actor GroupCoordinator {
    struct Settings: Sendable {
        /// Kafka's `group.min.session.timeout.ms` / `group.max.session.timeout.ms`.
        var sessionTimeouts: ClosedRange<Int32> = 6_000...1_800_000
        /// Kafka's `group.initial.rebalance.delay.ms`: how long a rebalance from Empty waits
        /// for more members, so that consumers started together land in one generation.
        var initialRebalanceDelay: Duration = .milliseconds(300)
        /// Kafka's `offset.metadata.max.bytes`.
        var maxOffsetMetadataBytes = 4096
        var sweepInterval: Duration = .milliseconds(100)
    }

    let offsets: OffsetStore
    private let settings: Settings
    private let logger: Logger
    private var groups: [String: ConsumerGroup] = [:]

    init(offsets: OffsetStore, settings: Settings = Settings(), logger: Logger) {
        self.offsets = offsets
        self.settings = settings
        self.logger = logger
    }

    // MARK: - JoinGroup

    func join(_ request: JoinGroupRequest, _ context: RequestContext) async -> JoinGroupResponse {
        guard !request.groupId.isEmpty else { return JoinGroupResponse(errorCode: .invalidGroupId) }
        guard settings.sessionTimeouts.contains(request.sessionTimeoutMs) else {
            return JoinGroupResponse(errorCode: .invalidSessionTimeout, memberId: request.memberId)
        }
        var group = groups[request.groupId] ?? ConsumerGroup(id: request.groupId)
        let protocols = request.protocols.map { (name: $0.name, metadata: $0.metadata) }
        if !group.members.isEmpty {
            let shared = group.candidateProtocols?.intersection(protocols.map(\.name)) ?? []
            if group.protocolType != request.protocolType || shared.isEmpty {
                return JoinGroupResponse(errorCode: .inconsistentGroupProtocol, memberId: request.memberId)
            }
        }
        let now = ContinuousClock.now
        let sessionTimeout = Duration.milliseconds(request.sessionTimeoutMs)
        var memberId = request.memberId
        if memberId.isEmpty {
            memberId = "\(context.clientId)-\(UUID().uuidString.lowercased())"
            if context.version >= 4 {
                group.pendingMembers[memberId] = now + sessionTimeout
                groups[group.id] = group
                return JoinGroupResponse(errorCode: .memberIdRequired, memberId: memberId)
            }
        } else if group.members[memberId] == nil {
            guard group.pendingMembers.removeValue(forKey: memberId) != nil else {
                return JoinGroupResponse(errorCode: .unknownMemberId, memberId: memberId)
            }
        }

        let existing = group.members[memberId]
        if let existing, group.state == .stable || group.state == .completingRebalance,
            existing.hasSameProtocols(as: protocols), group.leader != memberId || group.state == .completingRebalance
        {
            // A follower rejoining unchanged gets the current generation back, no rebalance.
            group.members[memberId]?.lastSeen = now
            groups[group.id] = group
            return joinResponse(for: memberId, in: group)
        }

        var member = existing ?? GroupMember(
            id: memberId, clientId: context.clientId, clientHost: context.clientHost, sessionTimeout: sessionTimeout,
            rebalanceTimeout: .zero, protocolType: request.protocolType, protocols: protocols, lastSeen: now
        )
        member.sessionTimeout = sessionTimeout
        member.rebalanceTimeout = .milliseconds(request.rebalanceTimeoutMs > 0 ? request.rebalanceTimeoutMs : request.sessionTimeoutMs)
        member.protocols = protocols
        member.lastSeen = now
        if group.members.isEmpty { group.protocolType = request.protocolType }
        group.add(member)
        if group.state != .preparingRebalance {
            prepareRebalance(&group, reason: existing == nil ? "member \(memberId) joined" : "member \(memberId) rejoined")
        }

        return await withCheckedContinuation { continuation in
            if let previous = group.members[memberId]?.pendingJoin {
                previous.resume(returning: JoinGroupResponse(errorCode: .unknownMemberId, memberId: memberId))
            }
            group.members[memberId]?.pendingJoin = continuation
            groups[group.id] = group
            tryCompleteJoin(group.id, now: now)
        }
    }

    private func joinResponse(for memberId: String, in group: ConsumerGroup) -> JoinGroupResponse {
        let protocolName = group.selectedProtocol ?? ""
        let members = memberId == group.leader
            ? group.orderedMembers.map {
                JoinGroupResponse.Member(memberId: $0.id, metadata: $0.metadata(for: protocolName) ?? ByteBuffer())
            }
            : []
        return JoinGroupResponse(
            errorCode: .none, generationId: group.generation, protocolName: protocolName,
            leader: group.leader ?? "", memberId: memberId, members: members
        )
    }

    /// Starts a rebalance: members must rejoin within the rebalance timeout.
    private func prepareRebalance(_ group: inout ConsumerGroup, reason: String) {
        let now = ContinuousClock.now
        if group.state == .completingRebalance {
            for id in group.joinOrder {
                group.members[id]?.pendingSync?.resume(returning: SyncGroupResponse(errorCode: .rebalanceInProgress))
                group.members[id]?.pendingSync = nil
            }
        }
        if group.state == .empty {
            group.initialDelayUntil = now + settings.initialRebalanceDelay
        }
        group.state = .preparingRebalance
        group.syncDeadline = nil
        group.rebalanceDeadline = now + group.maxRebalanceTimeout
        logger.info("rebalancing group", metadata: ["group": "\(group.id)", "reason": "\(reason)"])
    }

    /// Completes the join phase when every member has rejoined (after the initial delay), or
    /// when the rebalance timeout has passed, dropping the members that did not rejoin.
    private func tryCompleteJoin(_ groupId: String, now: ContinuousClock.Instant) {
        guard var group = groups[groupId], group.state == .preparingRebalance else { return }
        let allJoined = group.members.values.allSatisfy { $0.pendingJoin != nil }
        let delayOver = group.initialDelayUntil.map { now >= $0 } ?? true
        let timedOut = group.rebalanceDeadline.map { now >= $0 } ?? false
        guard (allJoined && delayOver) || timedOut else { return }

        for member in group.orderedMembers where member.pendingJoin == nil {
            logger.info("removing member that did not rejoin", metadata: ["group": "\(group.id)", "member": "\(member.id)"])
            _ = group.remove(member.id)
        }
        group.generation += 1
        group.initialDelayUntil = nil
        group.rebalanceDeadline = nil
        guard !group.members.isEmpty else {
            group.state = .empty
            group.selectedProtocol = nil
            group.protocolType = nil
            groups[groupId] = group
            return
        }
        group.selectedProtocol = group.selectProtocol()
        if group.leader == nil || group.members[group.leader!] == nil { group.leader = group.joinOrder.first }
        group.state = .completingRebalance
        group.syncDeadline = now + group.maxRebalanceTimeout
        var waiting: [(CheckedContinuation<JoinGroupResponse, Never>, JoinGroupResponse)] = []
        for id in group.joinOrder {
            group.members[id]?.assignment = ByteBuffer()
            group.members[id]?.lastSeen = now
            if let continuation = group.members[id]?.pendingJoin {
                waiting.append((continuation, joinResponse(for: id, in: group)))
                group.members[id]?.pendingJoin = nil
            }
        }
        groups[groupId] = group
        logger.info(
            "group rebalanced",
            metadata: [
                "group": "\(group.id)", "generation": "\(group.generation)", "members": "\(group.members.count)",
                "protocol": "\(group.selectedProtocol ?? "")",
            ]
        )
        for (continuation, response) in waiting { continuation.resume(returning: response) }
    }

    // MARK: - SyncGroup

    func sync(_ request: SyncGroupRequest, _ context: RequestContext) async -> SyncGroupResponse {
        guard var group = groups[request.groupId], let member = group.members[request.memberId] else {
            return SyncGroupResponse(errorCode: .unknownMemberId)
        }
        guard request.generationId == group.generation else { return SyncGroupResponse(errorCode: .illegalGeneration) }
        switch group.state {
        case .empty, .dead:
            return SyncGroupResponse(errorCode: .unknownMemberId)
        case .preparingRebalance:
            return SyncGroupResponse(errorCode: .rebalanceInProgress)
        case .stable:
            group.members[member.id]?.lastSeen = .now
            groups[group.id] = group
            return SyncGroupResponse(errorCode: .none, assignment: member.assignment)
        case .completingRebalance:
            return await withCheckedContinuation { continuation in
                group.members[member.id]?.pendingSync?.resume(returning: SyncGroupResponse(errorCode: .rebalanceInProgress))
                group.members[member.id]?.pendingSync = continuation
                group.members[member.id]?.lastSeen = .now
                if member.id == group.leader {
                    let assignments = Dictionary(
                        request.assignments.map { ($0.memberId, $0.assignment) }, uniquingKeysWith: { $1 }
                    )
                    var waiting: [(CheckedContinuation<SyncGroupResponse, Never>, ByteBuffer)] = []
                    for id in group.joinOrder {
                        let assignment = assignments[id] ?? ByteBuffer()
                        group.members[id]?.assignment = assignment
                        if let pending = group.members[id]?.pendingSync {
                            waiting.append((pending, assignment))
                            group.members[id]?.pendingSync = nil
                        }
                    }
                    group.state = .stable
                    group.syncDeadline = nil
                    groups[group.id] = group
                    for (pending, assignment) in waiting {
                        pending.resume(returning: SyncGroupResponse(errorCode: .none, assignment: assignment))
                    }
                } else {
                    groups[group.id] = group
                }
            }
        }
    }

    // MARK: - Heartbeat and LeaveGroup

    func heartbeat(_ request: HeartbeatRequest) -> HeartbeatResponse {
        guard var group = groups[request.groupId], group.state != .empty, group.members[request.memberId] != nil else {
            return HeartbeatResponse(errorCode: .unknownMemberId)
        }
        guard request.generationId == group.generation else { return HeartbeatResponse(errorCode: .illegalGeneration) }
        group.members[request.memberId]?.lastSeen = .now
        groups[group.id] = group
        return HeartbeatResponse(errorCode: group.state == .preparingRebalance ? .rebalanceInProgress : .none)
    }

    func leave(_ request: LeaveGroupRequest) -> LeaveGroupResponse {
        guard var group = groups[request.groupId], let member = group.remove(request.memberId) else {
            return LeaveGroupResponse(errorCode: .unknownMemberId)
        }
        member.pendingJoin?.resume(returning: JoinGroupResponse(errorCode: .unknownMemberId, memberId: member.id))
        member.pendingSync?.resume(returning: SyncGroupResponse(errorCode: .unknownMemberId))
        membersChanged(&group, reason: "member \(member.id) left")
        return LeaveGroupResponse(errorCode: .none)
    }

    /// After members were removed: an emptied group goes Empty, others rebalance.
    private func membersChanged(_ group: inout ConsumerGroup, reason: String) {
        let now = ContinuousClock.now
        if group.members.isEmpty {
            if group.state != .empty { group.generation += 1 }
            group.state = .empty
            group.leader = nil
            group.selectedProtocol = nil
            group.protocolType = nil
            group.rebalanceDeadline = nil
            group.syncDeadline = nil
            logger.info("group is empty", metadata: ["group": "\(group.id)", "reason": "\(reason)"])
            groups[group.id] = group
            return
        }
        if group.state != .preparingRebalance { prepareRebalance(&group, reason: reason) }
        groups[group.id] = group
        tryCompleteJoin(group.id, now: now)
    }

    // MARK: - Timeouts

    /// Runs until cancelled, expiring silent members and finishing overdue rebalances.
    func sweep() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: settings.sweepInterval)
            let now = ContinuousClock.now
            for id in Array(groups.keys) {
                guard var group = groups[id] else { continue }
                group.pendingMembers = group.pendingMembers.filter { $0.value > now }
                var expired: [String] = []
                for member in group.orderedMembers where member.pendingJoin == nil && member.pendingSync == nil {
                    if now - member.lastSeen > member.sessionTimeout { expired.append(member.id) }
                }
                if group.state == .completingRebalance, let deadline = group.syncDeadline, now >= deadline {
                    expired += group.orderedMembers.filter { $0.pendingSync == nil && !expired.contains($0.id) }.map(\.id)
                }
                for memberId in expired {
                    logger.info("member session expired", metadata: ["group": "\(id)", "member": "\(memberId)"])
                    if let member = group.remove(memberId) {
                        member.pendingSync?.resume(returning: SyncGroupResponse(errorCode: .unknownMemberId))
                    }
                }
                if !expired.isEmpty {
                    membersChanged(&group, reason: "\(expired.count) member(s) expired")
                } else {
                    groups[id] = group
                    tryCompleteJoin(id, now: now)
                }
            }
        }
        for group in groups.values {
            for member in group.members.values {
                member.pendingJoin?.resume(returning: JoinGroupResponse(errorCode: .coordinatorNotAvailable))
                member.pendingSync?.resume(returning: SyncGroupResponse(errorCode: .coordinatorNotAvailable))
            }
        }
        groups = [:]
    }

    // MARK: - Describing

    func describe(_ request: DescribeGroupsRequest) -> DescribeGroupsResponse {
        let withOffsets = offsets.groups
        return DescribeGroupsResponse(groups: request.groups.map { id in
            guard let group = groups[id] else {
                return .init(
                    groupId: id, groupState: withOffsets.contains(id) ? GroupState.empty.rawValue : GroupState.dead.rawValue,
                    protocolType: withOffsets.contains(id) ? "consumer" : "", protocolData: "", members: []
                )
            }
            let stable = group.state == .stable
            return .init(
                groupId: id, groupState: group.state.rawValue, protocolType: group.protocolType ?? "",
                protocolData: stable ? group.selectedProtocol ?? "" : "",
                members: group.orderedMembers.map {
                    .init(
                        memberId: $0.id, clientId: $0.clientId, clientHost: $0.clientHost,
                        memberMetadata: $0.metadata(for: group.selectedProtocol ?? "") ?? ByteBuffer(),
                        memberAssignment: stable ? $0.assignment : ByteBuffer()
                    )
                }
            )
        })
    }

    func list() -> ListGroupsResponse {
        var listed: [String: String] = [:]
        for id in offsets.groups { listed[id] = "consumer" }
        for group in groups.values where group.state != .dead {
            listed[group.id] = group.protocolType ?? listed[group.id] ?? ""
        }
        return ListGroupsResponse(groups: listed.keys.sorted().map { .init(groupId: $0, protocolType: listed[$0]!) })
    }

    // MARK: - Offsets

    enum CommitCheck {
        case accept
        case reject(KafkaErrorCode)
    }

    /// Kafka's `validateOffsetCommit`: who may commit for a group in its current state.
    func checkCommit(groupId: String, generation: Int32, memberId: String) -> CommitCheck {
        guard let group = groups[groupId] else {
            // A group not known to the coordinator: manual-assignment consumers and admin
            // tools commit with generation -1.
            return generation < 0 ? .accept : .reject(.illegalGeneration)
        }
        if generation < 0 && group.state == .empty { return .accept }
        if generation >= 0 || !memberId.isEmpty {
            guard group.members[memberId] != nil else { return .reject(.unknownMemberId) }
            guard generation == group.generation else { return .reject(.illegalGeneration) }
        } else {
            return .reject(.unknownMemberId)
        }
        if group.state == .completingRebalance { return .reject(.rebalanceInProgress) }
        groups[groupId]?.members[memberId]?.lastSeen = .now
        return .accept
    }
}
