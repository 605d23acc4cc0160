import Logging
import KafkaProtocol

extension RequestHandler {
    func createTopics(_ request: CreateTopicsRequest, _ context: RequestContext) -> CreateTopicsResponse {
        CreateTopicsResponse(topics: request.topics.map { topic in
            func failed(_ code: KafkaErrorCode, _ message: String) -> CreateTopicsResponse.Topic {
                .init(name: topic.name, errorCode: code, errorMessage: message)
            }
            guard topic.replicationFactor == -1 || topic.replicationFactor == 1 else {
                return failed(.invalidReplicationFactor, "this single-node broker holds one replica per partition")
            }
            guard topic.assignments.allSatisfy({ $0.brokerIds == [configuration.nodeId] }) else {
                return failed(.invalidReplicaAssignment, "every replica must be on node \(configuration.nodeId)")
            }
            let partitions = topic.numPartitions == -1
                ? (topic.assignments.isEmpty ? configuration.defaultPartitions : Int32(topic.assignments.count))
                : topic.numPartitions
            var configs: [String: String] = [:]
            for config in topic.configs {
                guard let value = config.value else {
                    return failed(.invalidConfig, "config \(config.name) has no value")
                }
                configs[config.name] = value
            }
            do {
                if request.validateOnly {
                    _ = try logs.check(name: topic.name, partitions: partitions, configs: configs)
                } else {
                    try logs.createTopic(name: topic.name, partitions: partitions, configs: configs)
                }
                return .init(name: topic.name, errorCode: .none)
            } catch let error as LogManager.CreateError {
                switch error {
                case .invalidName(let message): return failed(.invalidTopic, message)
                case .alreadyExists: return failed(.topicAlreadyExists, "topic '\(topic.name)' already exists")
                case .invalidPartitions: return failed(.invalidPartitions, "the number of partitions must be at least 1")
                case .invalidConfig(let message): return failed(.invalidConfig, message)
                }
            } catch {
                logger.error("topic creation failed", metadata: ["topic": "\(topic.name)", "error": "\(error)"])
                return failed(.kafkaStorageError, "\(error)")
            }
        })
    }

    func deleteTopics(_ request: DeleteTopicsRequest, _ context: RequestContext) -> DeleteTopicsResponse {
        DeleteTopicsResponse(responses: request.topicNames.map { name in
            let deleted = !(logs.topic(name)?.isInternal ?? true) && logs.deleteTopic(name)
            return .init(name: name, errorCode: deleted ? .none : .unknownTopicOrPartition)
        })
    }

    func deleteRecords(_ request: DeleteRecordsRequest, _ context: RequestContext) -> DeleteRecordsResponse {
        DeleteRecordsResponse(topics: request.topics.map { topic in
            DeleteRecordsResponse.Topic(name: topic.name, partitions: topic.partitions.map { wanted in
                guard let log = logs.partition(topic.name, wanted.partitionIndex) else {
                    return .init(partitionIndex: wanted.partitionIndex, lowWatermark: -1, errorCode: .unknownTopicOrPartition)
                }
                do {
                    switch try log.deleteRecords(before: wanted.offset) {
                    case .moved(let start):
                        return .init(partitionIndex: wanted.partitionIndex, lowWatermark: start, errorCode: .none)
                    case .outOfRange:
                        return .init(partitionIndex: wanted.partitionIndex, lowWatermark: -1, errorCode: .offsetOutOfRange)
                    }
                } catch {
                    logger.error("delete records failed", metadata: ["error": "\(error)"])
                    return .init(partitionIndex: wanted.partitionIndex, lowWatermark: -1, errorCode: .kafkaStorageError)
                }
            })
        })
    }

    /// Topic configs (resource type 2) with their sources; the broker (type 4) reports the
    /// defaults every topic starts from.
    func describeConfigs(_ request: DescribeConfigsRequest, _ context: RequestContext) -> DescribeConfigsResponse {
        DescribeConfigsResponse(results: request.resources.map { resource in
            let wanted = resource.configurationKeys.map(Set.init) ?? Set(TopicConfig.names)
            let names = TopicConfig.names.filter(wanted.contains)
            switch resource.resourceType {
            case 2:
                guard let topic = logs.topic(resource.resourceName), !topic.isInternal else {
                    return .init(
                        errorCode: .unknownTopicOrPartition, errorMessage: "unknown topic '\(resource.resourceName)'",
                        resourceType: 2, resourceName: resource.resourceName, configs: []
                    )
                }
                return .init(errorCode: .none, resourceType: 2, resourceName: topic.name, configs: names.map { name in
                    .init(
                        name: name, value: topic.config.value(of: name),
                        source: topic.overrides[name] == nil ? .defaultConfig : .topicConfig
                    )
                })
            case 4:
                return .init(errorCode: .none, resourceType: 4, resourceName: resource.resourceName, configs: names.map {
                    .init(name: $0, value: logs.defaults.value(of: $0), source: .staticBrokerConfig, readOnly: true)
                })
            default:
                return .init(
                    errorCode: .invalidRequest, errorMessage: "only topic and broker configs can be described",
                    resourceType: resource.resourceType, resourceName: resource.resourceName, configs: []
                )
            }
        })
    }

    func initProducerId(_ request: InitProducerIdRequest, _ context: RequestContext) -> InitProducerIdResponse {
        guard request.transactionalId == nil else {
            return InitProducerIdResponse(errorCode: .transactionalIdAuthorizationFailed)
        }
        do {
            return InitProducerIdResponse(errorCode: .none, producerId: try meta.allocateProducerId(), producerEpoch: 0)
        } catch {
            logger.error("producer id allocation failed", metadata: ["error": "\(error)"])
            return InitProducerIdResponse(errorCode: .kafkaStorageError)
        }
    }
}
