import CRdKafka
import Foundation
import Logging

/// A topic to create.
public struct NewTopic: Hashable, Sendable {
    public var name: String
    public var partitions: Int32
    /// -1 lets the broker choose.
    public var replicationFactor: Int32
    public var configs: [String: String]

    public init(name: String, partitions: Int32, replicationFactor: Int32 = -1, configs: [String: String] = [:]) {
        self.name = name
        self.partitions = partitions
        self.replicationFactor = replicationFactor
        self.configs = configs
    }
}

/// What the cluster says about a topic.
public struct TopicDescription: Hashable, Sendable {
    public var name: String
    public var partitions: [Int32]
}

/// A consumer group as listed by the coordinator.
public struct GroupListing: Hashable, Sendable {
    public var name: String
    public var state: String
    public var protocolType: String
    public var members: Int
}

/// Topic and group administration over librdkafka's Admin API.
public final class KafkaAdmin: Sendable {
    private let client: RDKafkaClient
    private let lifetime = ClientLifetime()
    private let callQueue = DispatchQueue(label: "kafka-admin", attributes: .concurrent)

    public init(configuration: KafkaConfiguration, logger: Logger) throws {
        client = try RDKafkaClient(type: RD_KAFKA_PRODUCER, configuration: configuration, callbacks: RDKafkaCallbacks(logger: logger))
    }

    /// Runs `body` with an admin client that is closed afterwards, whatever happens.
    public static func using<Result>(
        _ configuration: KafkaConfiguration, logger: Logger, _ body: (KafkaAdmin) async throws -> Result
    ) async throws -> Result {
        let admin = try KafkaAdmin(configuration: configuration, logger: logger)
        do {
            let result = try await body(admin)
            await admin.close()
            return result
        } catch {
            await admin.close()
            throw error
        }
    }

    public func close() async {
        await withCheckedContinuation { continuation in
            callQueue.async(flags: .barrier) { [self] in
                lifetime.close()
                client.destroy()
                continuation.resume()
            }
        }
    }

    // MARK: - Topics

    /// Creates `topics`; with `ignoreExisting`, a topic that already exists is not an error.
    public func createTopics(_ topics: [NewTopic], ignoreExisting: Bool = true, timeout: Duration = .seconds(30)) async throws {
        try await request(timeout: timeout) { handle, options, queue in
            var created: [OpaquePointer?] = []
            defer { created.forEach { rd_kafka_NewTopic_destroy($0) } }
            for topic in topics {
                var errorText = [CChar](repeating: 0, count: 512)
                guard let newTopic = rd_kafka_NewTopic_new(
                    topic.name, topic.partitions, topic.replicationFactor, &errorText, errorText.count
                ) else { throw KafkaError.configuration("topic \(topic.name): \(String(cBuffer: errorText))") }
                created.append(newTopic)
                for (name, value) in topic.configs.sorted(by: { $0.key < $1.key }) {
                    let error = rd_kafka_NewTopic_set_config(newTopic, name, value)
                    guard error == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(error, context: "\(name)=\(value)") }
                }
            }
            rd_kafka_CreateTopics(handle, &created, created.count, options, queue)
        } result: { event in
            var count = 0
            let results = rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(event), &count)
            for index in 0..<count {
                let result = results![index]
                let error = rd_kafka_topic_result_error(result)
                if error == RD_KAFKA_RESP_ERR_NO_ERROR || (ignoreExisting && error == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
                    continue
                }
                let name = String(cString: rd_kafka_topic_result_name(result))
                let message = rd_kafka_topic_result_error_string(result).map { String(cString: $0) } ?? ""
                throw KafkaError(code: error.rawValue, message: "create topic \(name): \(message)")
            }
        }
    }

    public func deleteTopics(_ names: [String], timeout: Duration = .seconds(30)) async throws {
        try await request(timeout: timeout) { handle, options, queue in
            var deleted = names.map { rd_kafka_DeleteTopic_new($0) }
            defer { deleted.forEach { rd_kafka_DeleteTopic_destroy($0) } }
            rd_kafka_DeleteTopics(handle, &deleted, deleted.count, options, queue)
        } result: { event in
            var count = 0
            let results = rd_kafka_DeleteTopics_result_topics(rd_kafka_event_DeleteTopics_result(event), &count)
            for index in 0..<count {
                let error = rd_kafka_topic_result_error(results![index])
                guard error == RD_KAFKA_RESP_ERR_NO_ERROR else {
                    throw KafkaError(error, context: "delete topic \(String(cString: rd_kafka_topic_result_name(results![index])))")
                }
            }
        }
    }

    /// The configs of `topic` as the broker reports them (defaults included).
    public func topicConfigs(_ topic: String, timeout: Duration = .seconds(30)) async throws -> [String: String] {
        try await request(timeout: timeout) { handle, options, queue in
            var resource = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, topic)
            defer { rd_kafka_ConfigResource_destroy(resource) }
            rd_kafka_DescribeConfigs(handle, &resource, 1, options, queue)
        } result: { event in
            var count = 0
            let resources = rd_kafka_DescribeConfigs_result_resources(rd_kafka_event_DescribeConfigs_result(event), &count)
            guard count == 1, let resource = resources?[0] else { return [:] }
            let error = rd_kafka_ConfigResource_error(resource)
            guard error == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(error, context: "describe configs of \(topic)") }
            var entryCount = 0
            let entries = rd_kafka_ConfigResource_configs(resource, &entryCount)
            var configs: [String: String] = [:]
            for index in 0..<entryCount {
                let entry = entries![index]
                configs[String(cString: rd_kafka_ConfigEntry_name(entry))] = rd_kafka_ConfigEntry_value(entry).map { String(cString: $0) }
            }
            return configs
        }
    }

    /// Every topic with its partitions.
    public func topics(timeout: Duration = .seconds(10)) async throws -> [TopicDescription] {
        try await blocking { [client] in
            var metadata: UnsafePointer<rd_kafka_metadata>?
            let error = rd_kafka_metadata(client.handle, 1, nil, &metadata, Int32(timeout.milliseconds))
            guard error == RD_KAFKA_RESP_ERR_NO_ERROR, let metadata else { throw KafkaError(error, context: "metadata") }
            defer { rd_kafka_metadata_destroy(metadata) }
            return (0..<Int(metadata.pointee.topic_cnt)).map { index in
                let topic = metadata.pointee.topics[index]
                return TopicDescription(
                    name: String(cString: topic.topic),
                    partitions: (0..<Int(topic.partition_cnt)).map { topic.partitions[$0].id }.sorted()
                )
            }.sorted { $0.name < $1.name }
        }
    }

    // MARK: - Groups

    public func groups(timeout: Duration = .seconds(10)) async throws -> [GroupListing] {
        try await blocking { [client] in
            var list: UnsafePointer<rd_kafka_group_list>?
            let error = rd_kafka_list_groups(client.handle, nil, &list, Int32(timeout.milliseconds))
            guard error == RD_KAFKA_RESP_ERR_NO_ERROR, let list else { throw KafkaError(error, context: "list groups") }
            defer { rd_kafka_group_list_destroy(list) }
            return (0..<Int(list.pointee.group_cnt)).map { index in
                let group = list.pointee.groups[index]
                return GroupListing(
                    name: String(cString: group.group), state: String(cString: group.state),
                    protocolType: String(cString: group.protocol_type), members: Int(group.member_cnt)
                )
            }.sorted { $0.name < $1.name }
        }
    }

    /// The members of a consumer group with the partitions assigned to each.
    public func members(ofGroup group: String, timeout: Duration = .seconds(10)) async throws -> [GroupMember] {
        try await request(timeout: timeout) { handle, options, queue in
            group.withCString { name in
                var names: [UnsafePointer<CChar>?] = [name]
                rd_kafka_DescribeConsumerGroups(handle, &names, 1, options, queue)
            }
        } result: { event in
            var count = 0
            let groups = rd_kafka_DescribeConsumerGroups_result_groups(rd_kafka_event_DescribeConsumerGroups_result(event), &count)
            guard count == 1, let description = groups?[0] else { return [] }
            if let error = rd_kafka_ConsumerGroupDescription_error(description) {
                throw KafkaError(code: rd_kafka_error_code(error).rawValue, message: String(cString: rd_kafka_error_string(error)))
            }
            return (0..<rd_kafka_ConsumerGroupDescription_member_count(description)).compactMap { index in
                guard let member = rd_kafka_ConsumerGroupDescription_member(description, index) else { return nil }
                let assigned = rd_kafka_MemberDescription_assignment(member).flatMap { rd_kafka_MemberAssignment_partitions($0) }
                return GroupMember(
                    clientId: String(cString: rd_kafka_MemberDescription_client_id(member)),
                    host: String(cString: rd_kafka_MemberDescription_host(member)),
                    partitions: assigned.map { PartitionList.entries($0).map(\.0) } ?? []
                )
            }
        }
    }

    /// Every offset `group` has committed.
    public func committedOffsets(group: String, timeout: Duration = .seconds(30)) async throws -> [TopicPartition: Int64] {
        try await request(timeout: timeout) { handle, options, queue in
            var request = rd_kafka_ListConsumerGroupOffsets_new(group, nil)
            defer { rd_kafka_ListConsumerGroupOffsets_destroy(request) }
            rd_kafka_ListConsumerGroupOffsets(handle, &request, 1, options, queue)
        } result: { event in
            var count = 0
            let groups = rd_kafka_ListConsumerGroupOffsets_result_groups(
                rd_kafka_event_ListConsumerGroupOffsets_result(event), &count
            )
            guard count == 1, let result = groups?[0] else { return [:] }
            if let error = rd_kafka_group_result_error(result) {
                throw KafkaError(code: rd_kafka_error_code(error).rawValue, message: String(cString: rd_kafka_error_string(error)))
            }
            guard let partitions = rd_kafka_group_result_partitions(result) else { return [:] }
            var offsets: [TopicPartition: Int64] = [:]
            for (partition, offset, _) in PartitionList.entries(partitions) where offset >= 0 {
                offsets[partition] = offset
            }
            return offsets
        }
    }

    /// For each partition `group` committed on: its committed offset, end offset and lag.
    public func lag(group: String) async throws -> [PartitionLag] {
        let committed = try await committedOffsets(group: group)
        let topics = Set(committed.keys.map(\.topic))
        return try await lag(group: group, topics: topics.sorted(), committed: committed)
    }

    /// Committed offset, end offset and lag of every partition of `topics` for `group`.
    public func lag(group: String, topics: [String]) async throws -> [PartitionLag] {
        try await lag(group: group, topics: topics, committed: committedOffsets(group: group))
    }

    private func lag(group: String, topics: [String], committed: [TopicPartition: Int64]) async throws -> [PartitionLag] {
        var lags: [PartitionLag] = []
        for topic in try await self.topics() where topics.contains(topic.name) {
            for index in topic.partitions {
                let partition = TopicPartition(topic: topic.name, partition: index)
                lags.append(PartitionLag(partition: partition, committed: committed[partition], end: try await watermarks(partition).high))
            }
        }
        return lags
    }

    /// The partition's log start offset and high watermark.
    public func watermarks(_ partition: TopicPartition, timeout: Duration = .seconds(10)) async throws -> (low: Int64, high: Int64) {
        try await blocking { [client] in
            var low: Int64 = 0
            var high: Int64 = 0
            let error = rd_kafka_query_watermark_offsets(
                client.handle, partition.topic, partition.partition, &low, &high, Int32(timeout.milliseconds)
            )
            guard error == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(error, context: "watermarks \(partition)") }
            return (low, high)
        }
    }

    // MARK: - Plumbing

    /// Sends an admin request to a private queue and waits (off the concurrency pool) for
    /// its result event.
    private func request<T: Sendable>(
        timeout: Duration,
        send: @escaping @Sendable (OpaquePointer, OpaquePointer?, OpaquePointer) throws -> Void,
        result: @escaping @Sendable (OpaquePointer) throws -> T
    ) async throws -> T {
        try await blocking { [client] in
            let queue = rd_kafka_queue_new(client.handle)!
            defer { rd_kafka_queue_destroy(queue) }
            let options = rd_kafka_AdminOptions_new(client.handle, RD_KAFKA_ADMIN_OP_ANY)
            defer { rd_kafka_AdminOptions_destroy(options) }
            var errorText = [CChar](repeating: 0, count: 512)
            rd_kafka_AdminOptions_set_request_timeout(options, Int32(timeout.milliseconds), &errorText, errorText.count)
            try send(client.handle, options, queue)
            guard let event = rd_kafka_queue_poll(queue, Int32(timeout.milliseconds) + 1000) else { throw KafkaError.timedOut }
            defer { rd_kafka_event_destroy(event) }
            let error = rd_kafka_event_error(event)
            guard error == RD_KAFKA_RESP_ERR_NO_ERROR else {
                throw KafkaError(code: error.rawValue, message: String(cString: rd_kafka_event_error_string(event)))
            }
            return try result(event)
        }
    }

    private func blocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            callQueue.async { [lifetime] in
                continuation.resume(with: Result { try lifetime.use(body) })
            }
        }
    }
}

/// A member of a consumer group and what it was assigned.
public struct GroupMember: Hashable, Sendable {
    public var clientId: String
    public var host: String
    public var partitions: [TopicPartition]
}

/// How far a consumer group is behind on one partition.
public struct PartitionLag: Hashable, Sendable {
    public var partition: TopicPartition
    /// nil when the group has committed nothing for the partition.
    public var committed: Int64?
    public var end: Int64

    public var lag: Int64 { end - (committed ?? 0) }
}
