import KafkaProtocol
import NIOCore

/// The version a sample is built for. `all` sets the fields of every version at once, which
/// the encoder must then drop where a version lacks them.
struct At: Sendable {
    var version: Int16?

    static let all = At(version: nil)

    init(_ version: Int16) { self.version = version }
    private init(version: Int16?) { self.version = version }

    /// Whether a field added in version `first` exists (gates written from the brief's layouts).
    func since(_ first: Int16) -> Bool { version.map { $0 >= first } ?? true }
    /// Whether a field removed after version `last` exists.
    func until(_ last: Int16) -> Bool { version.map { $0 <= last } ?? true }
}

/// A message with a sample value for round trips.
protocol Sampled: KafkaMessage {
    /// A non-default value in every field that exists at `at`, and the default in every other.
    static func sample(_ at: At) -> Self
}

/// Every request type, by API. The switch is exhaustive, so a new API cannot go untested.
func requestType(_ api: APIKey) -> any Sampled.Type {
    switch api {
    case .produce: ProduceRequest.self
    case .fetch: FetchRequest.self
    case .listOffsets: ListOffsetsRequest.self
    case .metadata: MetadataRequest.self
    case .offsetCommit: OffsetCommitRequest.self
    case .offsetFetch: OffsetFetchRequest.self
    case .findCoordinator: FindCoordinatorRequest.self
    case .joinGroup: JoinGroupRequest.self
    case .heartbeat: HeartbeatRequest.self
    case .leaveGroup: LeaveGroupRequest.self
    case .syncGroup: SyncGroupRequest.self
    case .describeGroups: DescribeGroupsRequest.self
    case .listGroups: ListGroupsRequest.self
    case .apiVersions: ApiVersionsRequest.self
    case .createTopics: CreateTopicsRequest.self
    case .deleteTopics: DeleteTopicsRequest.self
    case .deleteRecords: DeleteRecordsRequest.self
    case .initProducerId: InitProducerIdRequest.self
    case .describeConfigs: DescribeConfigsRequest.self
    }
}

extension ApiVersionsRequest: Sampled {
    static func sample(_ at: At) -> Self {
        var m = Self()
        if at.since(3) {
            m.clientSoftwareName = "librdkafka"
            m.clientSoftwareVersion = "2.0.2"
        }
        return m
    }
}

extension MetadataRequest: Sampled {
    static func sample(_ at: At) -> Self {
        var m = Self(topics: ["a", "b"])
        if at.since(4) { m.allowAutoTopicCreation = false }
        return m
    }
}

extension ProduceRequest: Sampled {
    static func sample(_ at: At) -> Self {
        var m = Self(acks: 1, timeoutMs: 1234, topics: [
            .init(name: "t", partitions: [
                .init(index: 3, records: ByteBuffer(bytes: [1, 2, 3])),
                .init(index: 4, records: nil),
            ]),
        ])
        if at.since(3) { m.transactionalId = "tx" }
        return m
    }
}

extension FetchRequest: Sampled {
    static func sample(_ at: At) -> Self {
        var partition = Partition(partition: 1, fetchOffset: 7, partitionMaxBytes: 999)
        if at.since(9) { partition.currentLeaderEpoch = 2 }
        if at.since(5) { partition.logStartOffset = 3 }
        var m = Self(maxWaitMs: 100, minBytes: 2, maxBytes: 3000, topics: [.init(topic: "t", partitions: [partition])])
        m.replicaId = 1
        m.isolationLevel = 1
        if at.since(7) {
            m.sessionId = 5
            m.sessionEpoch = 6
            var forgotten = ForgottenTopic()
            forgotten.topic = "f"
            forgotten.partitions = [1, 2]
            m.forgottenTopicsData = [forgotten]
        }
        if at.since(11) { m.rackId = "r" }
        return m
    }
}

extension ListOffsetsRequest: Sampled {
    static func sample(_ at: At) -> Self {
        var partition = Partition(partitionIndex: 2, timestamp: 1234)
        if at.since(4) { partition.currentLeaderEpoch = 3 }
        var m = Self(topics: [.init(name: "t", partitions: [partition])])
        m.replicaId = 1
        if at.since(2) { m.isolationLevel = 1 }
        return m
    }
}

extension OffsetCommitRequest: Sampled {
    static func sample(_ at: At) -> Self {
        var partition = Partition(partitionIndex: 1, committedOffset: 9, committedMetadata: "md")
        if at.since(6) { partition.committedLeaderEpoch = 2 }
        var m = Self(groupId: "g", generationId: 3, memberId: "m", topics: [.init(name: "t", partitions: [partition])])
        if at.since(7) { m.groupInstanceId = "i" }
        if at.until(4) { m.retentionTimeMs = 1000 }
        return m
    }
}

extension OffsetFetchRequest: Sampled {
    static func sample(_ at: At) -> Self {
        Self(groupId: "g", topics: [.init(name: "t", partitionIndexes: [0, 1])])
    }
}

extension FindCoordinatorRequest: Sampled {
    static func sample(_ at: At) -> Self {
        Self(key: "g", keyType: at.since(1) ? 1 : 0)
    }
}

extension JoinGroupRequest: Sampled {
    static func sample(_ at: At) -> Self {
        var m = Self(
            groupId: "g", sessionTimeoutMs: 6000, rebalanceTimeoutMs: at.since(1) ? 7000 : -1, memberId: "m",
            protocolType: "consumer", protocols: [.init(name: "range", metadata: ByteBuffer(bytes: [1, 2]))]
        )
        if at.since(5) { m.groupInstanceId = "i" }
        return m
    }
}

extension HeartbeatRequest: Sampled {
    static func sample(_ at: At) -> Self {
        var m = Self(groupId: "g", generationId: 2, memberId: "m")
        if at.since(3) { m.groupInstanceId = "i" }
        return m
    }
}

extension LeaveGroupRequest: Sampled {
    static func sample(_ at: At) -> Self { Self(groupId: "g", memberId: "m") }
}

extension SyncGroupRequest: Sampled {
    static func sample(_ at: At) -> Self {
        var m = Self(groupId: "g", generationId: 2, memberId: "m", assignments: [
            .init(memberId: "m", assignment: ByteBuffer(bytes: [9])),
        ])
        if at.since(3) { m.groupInstanceId = "i" }
        return m
    }
}

extension DescribeGroupsRequest: Sampled {
    static func sample(_ at: At) -> Self {
        var m = Self(groups: ["g1", "g2"])
        if at.since(3) { m.includeAuthorizedOperations = true }
        return m
    }
}

extension ListGroupsRequest: Sampled {
    static func sample(_ at: At) -> Self { Self() }
}

extension CreateTopicsRequest: Sampled {
    static func sample(_ at: At) -> Self {
        var topic = Topic(name: "t", numPartitions: 3, replicationFactor: 1, configs: [.init(name: "k", value: "v")])
        var assignment = Assignment()
        assignment.partitionIndex = 1
        assignment.brokerIds = [0]
        topic.assignments = [assignment]
        return Self(topics: [topic], timeoutMs: 1000, validateOnly: at.since(1))
    }
}

extension DeleteTopicsRequest: Sampled {
    static func sample(_ at: At) -> Self { Self(topicNames: ["a", "b"], timeoutMs: 1000) }
}

extension DeleteRecordsRequest: Sampled {
    static func sample(_ at: At) -> Self {
        var m = Self(topics: [.init(name: "t", partitions: [.init(partitionIndex: 1, offset: 5)])])
        m.timeoutMs = 1000
        return m
    }
}

extension InitProducerIdRequest: Sampled {
    static func sample(_ at: At) -> Self { Self(transactionalId: "tx", transactionTimeoutMs: 60_000) }
}

extension DescribeConfigsRequest: Sampled {
    static func sample(_ at: At) -> Self {
        var m = Self(resources: [.init(resourceType: 4, resourceName: "0", configurationKeys: ["a"])])
        if at.since(1) { m.includeSynonyms = true }
        return m
    }
}
