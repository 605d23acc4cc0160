import KafkaProtocol

extension RequestHandler {
    func metadata(_ request: MetadataRequest, _ context: RequestContext) -> MetadataResponse {
        let broker = MetadataResponse.Broker(nodeId: configuration.nodeId, host: advertisedHost, port: advertisedPort)
        let topics: [MetadataResponse.Topic]
        if let names = request.requestedTopics(version: context.version) {
            let mayCreate = configuration.autoCreateTopics && (context.version < 4 || request.allowAutoTopicCreation)
            topics = names.map { name in
                if let topic = logs.topic(name), !topic.isInternal { return describe(topic) }
                guard LogManager.isValidName(name) else { return MetadataResponse.Topic(errorCode: .invalidTopic, name: name) }
                guard mayCreate, let topic = try? logs.createTopic(
                    name: name, partitions: configuration.defaultPartitions, configs: [:]
                ) else {
                    return MetadataResponse.Topic(errorCode: .unknownTopicOrPartition, name: name)
                }
                return describe(topic)
            }
        } else {
            topics = logs.visibleTopics().map(describe)
        }
        return MetadataResponse(
            brokers: [broker], clusterId: meta.clusterId, controllerId: configuration.nodeId, topics: topics
        )
    }

    private func describe(_ topic: LogManager.Topic) -> MetadataResponse.Topic {
        MetadataResponse.Topic(
            name: topic.name,
            partitions: topic.partitions.map {
                MetadataResponse.Partition(partitionIndex: $0.partition, leader: configuration.nodeId)
            }
        )
    }
}
