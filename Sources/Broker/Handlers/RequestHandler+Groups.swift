import Logging
import KafkaProtocol

extension RequestHandler {
    /// Every group and every key type 0 is coordinated by this node; transactions are not
    /// supported, so there is no transaction coordinator.
    func findCoordinator(_ request: FindCoordinatorRequest, _ context: RequestContext) -> FindCoordinatorResponse {
        guard request.keyType == 0 else {
            return FindCoordinatorResponse(
                errorCode: .coordinatorNotAvailable, errorMessage: "transactions are not supported",
                nodeId: -1, host: "", port: -1
            )
        }
        return FindCoordinatorResponse(
            errorCode: .none, nodeId: configuration.nodeId, host: advertisedHost, port: advertisedPort
        )
    }

    func offsetCommit(_ request: OffsetCommitRequest, _ context: RequestContext) async -> OffsetCommitResponse {
        func answer(_ code: (OffsetCommitRequest.Partition, String) -> KafkaErrorCode) -> OffsetCommitResponse {
            OffsetCommitResponse(topics: request.topics.map { topic in
                .init(name: topic.name, partitions: topic.partitions.map {
                    .init(partitionIndex: $0.partitionIndex, errorCode: code($0, topic.name))
                })
            })
        }
        guard !request.groupId.isEmpty else { return answer { _, _ in .invalidGroupId } }
        if case .reject(let code) = await groups.checkCommit(
            groupId: request.groupId, generation: request.generationId, memberId: request.memberId
        ) {
            return answer { _, _ in code }
        }
        let now = currentTimeMillis()
        var entries: [(OffsetStore.Key, OffsetStore.Committed?)] = []
        let verdicts = answer { partition, topic in
            if (partition.committedMetadata?.utf8.count ?? 0) > 4096 { return .offsetMetadataTooLarge }
            guard logs.partition(topic, partition.partitionIndex) != nil else { return .unknownTopicOrPartition }
            entries.append((
                OffsetStore.Key(group: request.groupId, topic: topic, partition: partition.partitionIndex),
                OffsetStore.Committed(offset: partition.committedOffset, metadata: partition.committedMetadata, timestamp: now)
            ))
            return .none
        }
        do {
            try await groups.offsets.store(entries)
            return verdicts
        } catch {
            logger.error("storing committed offsets failed", metadata: ["group": "\(request.groupId)", "error": "\(error)"])
            return answer { _, _ in .kafkaStorageError }
        }
    }

    func offsetFetch(_ request: OffsetFetchRequest, _ context: RequestContext) async -> OffsetFetchResponse {
        let committed = groups.offsets.committed(group: request.groupId)
        let wanted: [(String, [Int32])]
        // Kafka reads only null as "every partition", but librdkafka 2.0.2's
        // ListConsumerGroupOffsets asks for all with an empty array, and no client asks for
        // nothing, so both mean all here.
        if let topics = request.topics, !topics.isEmpty {
            wanted = topics.map { ($0.name, $0.partitionIndexes) }
        } else {
            let byTopic = Dictionary(grouping: committed.keys, by: \.topic)
            wanted = byTopic.keys.sorted().map { topic in (topic, byTopic[topic]!.map(\.partition).sorted()) }
        }
        return OffsetFetchResponse(topics: wanted.map { topic, partitions in
            .init(name: topic, partitions: partitions.map { index in
                let entry = committed[OffsetStore.Key(group: request.groupId, topic: topic, partition: index)]
                return .init(partitionIndex: index, committedOffset: entry?.offset ?? -1, metadata: entry?.metadata ?? "")
            })
        })
    }
}
