import KafkaProtocol
import NIOCore

/// Every response type, by API. The switch is exhaustive, so a new API cannot go untested.
func responseType(_ api: APIKey) -> any Sampled.Type {
    switch api {
    case .produce: ProduceResponse.self
    case .fetch: FetchResponse.self
    case .listOffsets: ListOffsetsResponse.self
    case .metadata: MetadataResponse.self
    case .offsetCommit: OffsetCommitResponse.self
    case .offsetFetch: OffsetFetchResponse.self
    case .findCoordinator: FindCoordinatorResponse.self
    case .joinGroup: JoinGroupResponse.self
    case .heartbeat: HeartbeatResponse.self
    case .leaveGroup: LeaveGroupResponse.self
    case .syncGroup: SyncGroupResponse.self
    case .describeGroups: DescribeGroupsResponse.self
    case .listGroups: ListGroupsResponse.self
    case .apiVersions: ApiVersionsResponse.self
    case .createTopics: CreateTopicsResponse.self
    case .deleteTopics: DeleteTopicsResponse.self
    case .deleteRecords: DeleteRecordsResponse.self
    case .initProducerId: InitProducerIdResponse.self
    case .describeConfigs: DescribeConfigsResponse.self
    }
}

extension ApiVersionsResponse: Sampled {
    static func sample(_ at: At) -> Self {
        var m = Self(errorCode: .unsupportedVersion, apiKeys: [.init(apiKey: 18, minVersion: 1, maxVersion: 4)])
        if at.since(1) { m.throttleTimeMs = 10 }
        return m
    }
}

extension MetadataResponse: Sampled {
    static func sample(_ at: At) -> Self {
        var broker = Broker(nodeId: 1, host: "h", port: 9092)
        if at.since(1) { broker.rack = "r" }
        var partition = Partition(partitionIndex: 1, leader: 1)
        partition.errorCode = 5
        partition.replicaNodes = [1, 2]
        if at.since(5) { partition.offlineReplicas = [2] }
        var topic = Topic(errorCode: .unknownTopicOrPartition, name: "t", partitions: [partition])
        if at.since(1) { topic.isInternal = true }
        var m = Self(brokers: [broker], clusterId: at.since(2) ? "c" : nil, controllerId: at.since(1) ? 1 : -1,
                     topics: [topic])
        if at.since(3) { m.throttleTimeMs = 1 }
        return m
    }
}

extension ProduceResponse: Sampled {
    static func sample(_ at: At) -> Self {
        let partition = Partition(
            index: 1, errorCode: .corruptMessage, baseOffset: 5,
            logAppendTimeMs: at.since(2) ? 1000 : -1, logStartOffset: at.since(5) ? 3 : -1
        )
        var m = Self(topics: [.init(name: "t", partitions: [partition])])
        if at.since(1) { m.throttleTimeMs = 4 }
        return m
    }
}

extension FetchResponse: Sampled {
    static func sample(_ at: At) -> Self {
        var aborted = AbortedTransaction()
        aborted.producerId = 1
        aborted.firstOffset = 2
        var partition = Partition(
            partitionIndex: 1, errorCode: .offsetOutOfRange, highWatermark: 10,
            logStartOffset: at.since(5) ? 2 : -1, records: ByteBuffer(bytes: [1, 2])
        )
        partition.lastStableOffset = 9
        partition.abortedTransactions = [aborted]
        if at.since(11) { partition.preferredReadReplica = 0 }
        var m = Self(topics: [.init(topic: "t", partitions: [partition])])
        m.throttleTimeMs = 1
        if at.since(7) {
            m.errorCode = 70
            m.sessionId = 3
        }
        return m
    }
}

extension ListOffsetsResponse: Sampled {
    static func sample(_ at: At) -> Self {
        var partition = Partition(partitionIndex: 1, errorCode: .unknownTopicOrPartition, timestamp: 100, offset: 5)
        if at.since(4) { partition.leaderEpoch = 0 }
        var m = Self(topics: [.init(name: "t", partitions: [partition])])
        if at.since(2) { m.throttleTimeMs = 1 }
        return m
    }
}

extension OffsetCommitResponse: Sampled {
    static func sample(_ at: At) -> Self {
        var m = Self(topics: [.init(name: "t", partitions: [.init(partitionIndex: 1, errorCode: .unknownMemberId)])])
        if at.since(3) { m.throttleTimeMs = 1 }
        return m
    }
}

extension OffsetFetchResponse: Sampled {
    static func sample(_ at: At) -> Self {
        var partition = Partition(
            partitionIndex: 1, committedOffset: 5, metadata: "md", errorCode: .unknownTopicOrPartition
        )
        if at.since(5) { partition.committedLeaderEpoch = 2 }
        let errorCode: KafkaErrorCode = at.since(2) ? .notCoordinator : .none
        var m = Self(topics: [.init(name: "t", partitions: [partition])], errorCode: errorCode)
        if at.since(3) { m.throttleTimeMs = 1 }
        return m
    }
}

extension FindCoordinatorResponse: Sampled {
    static func sample(_ at: At) -> Self {
        var m = Self(
            errorCode: .coordinatorNotAvailable, errorMessage: at.since(1) ? "msg" : nil, nodeId: 0, host: "h",
            port: 9092
        )
        if at.since(1) { m.throttleTimeMs = 1 }
        return m
    }
}

extension JoinGroupResponse: Sampled {
    static func sample(_ at: At) -> Self {
        var m = Self(
            errorCode: .memberIdRequired, generationId: 2, protocolName: "range", leader: "l", memberId: "m",
            members: [.init(memberId: "m", groupInstanceId: at.since(5) ? "i" : nil, metadata: ByteBuffer(bytes: [1]))]
        )
        if at.since(2) { m.throttleTimeMs = 1 }
        return m
    }
}

extension HeartbeatResponse: Sampled {
    static func sample(_ at: At) -> Self {
        var m = Self(errorCode: .rebalanceInProgress)
        if at.since(1) { m.throttleTimeMs = 1 }
        return m
    }
}

extension LeaveGroupResponse: Sampled {
    static func sample(_ at: At) -> Self {
        var m = Self(errorCode: .unknownMemberId)
        if at.since(1) { m.throttleTimeMs = 1 }
        return m
    }
}

extension SyncGroupResponse: Sampled {
    static func sample(_ at: At) -> Self {
        var m = Self(errorCode: .illegalGeneration, assignment: ByteBuffer(bytes: [1, 2]))
        if at.since(1) { m.throttleTimeMs = 1 }
        return m
    }
}

extension DescribeGroupsResponse: Sampled {
    static func sample(_ at: At) -> Self {
        var member = Member(
            memberId: "m", clientId: "c", clientHost: "/127.0.0.1", memberMetadata: ByteBuffer(bytes: [1]),
            memberAssignment: ByteBuffer(bytes: [2])
        )
        if at.since(4) { member.groupInstanceId = "i" }
        var group = Group(groupId: "g", groupState: "Stable", protocolType: "consumer", protocolData: "range",
                          members: [member])
        group.errorCode = KafkaErrorCode.notCoordinator.rawValue
        if at.since(3) { group.authorizedOperations = 8 }
        var m = Self(groups: [group])
        if at.since(1) { m.throttleTimeMs = 1 }
        return m
    }
}

extension ListGroupsResponse: Sampled {
    static func sample(_ at: At) -> Self {
        var m = Self(groups: [.init(groupId: "g", protocolType: "consumer")])
        m.errorCode = KafkaErrorCode.coordinatorNotAvailable.rawValue
        if at.since(1) { m.throttleTimeMs = 1 }
        return m
    }
}

extension CreateTopicsResponse: Sampled {
    static func sample(_ at: At) -> Self {
        var m = Self(topics: [
            .init(name: "t", errorCode: .topicAlreadyExists, errorMessage: at.since(1) ? "exists" : nil),
        ])
        if at.since(2) { m.throttleTimeMs = 1 }
        return m
    }
}

extension DeleteTopicsResponse: Sampled {
    static func sample(_ at: At) -> Self {
        var m = Self(responses: [.init(name: "t", errorCode: .unknownTopicOrPartition)])
        if at.since(1) { m.throttleTimeMs = 1 }
        return m
    }
}

extension DeleteRecordsResponse: Sampled {
    static func sample(_ at: At) -> Self {
        var m = Self(topics: [
            .init(name: "t", partitions: [.init(partitionIndex: 1, lowWatermark: 5, errorCode: .offsetOutOfRange)]),
        ])
        m.throttleTimeMs = 1
        return m
    }
}

extension InitProducerIdResponse: Sampled {
    static func sample(_ at: At) -> Self {
        var m = Self(errorCode: .transactionalIdAuthorizationFailed, producerId: 7, producerEpoch: 1)
        m.throttleTimeMs = 1
        return m
    }
}

extension DescribeConfigsResponse: Sampled {
    static func sample(_ at: At) -> Self {
        var config = Config()
        config.name = "n"
        config.value = "v"
        config.readOnly = true
        config.isSensitive = true
        if at.until(0) { config.isDefault = true }
        if at.since(1) {
            config.configSource = Source.staticBrokerConfig.rawValue
            var synonym = Synonym()
            synonym.name = "n"
            synonym.value = "v"
            synonym.source = 5
            config.synonyms = [synonym]
        }
        var m = Self(results: [
            .init(errorCode: .unknownTopicOrPartition, errorMessage: "m", resourceType: 4, resourceName: "0",
                  configs: [config]),
        ])
        m.throttleTimeMs = 1
        return m
    }
}
