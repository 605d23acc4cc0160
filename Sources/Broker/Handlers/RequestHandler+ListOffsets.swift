import Logging
import KafkaProtocol

extension RequestHandler {
    /// Earliest (-2), latest (-1), or the first offset at or after a timestamp.
    func listOffsets(_ request: ListOffsetsRequest, _ context: RequestContext) -> ListOffsetsResponse {
        ListOffsetsResponse(topics: request.topics.map { topic in
            ListOffsetsResponse.Topic(name: topic.name, partitions: topic.partitions.map { wanted in
                guard let log = logs.partition(topic.name, wanted.partitionIndex) else {
                    return .init(partitionIndex: wanted.partitionIndex, errorCode: .unknownTopicOrPartition)
                }
                var answer: ListOffsetsResponse.Partition
                switch wanted.timestamp {
                case ListOffsetsRequest.latest:
                    answer = .init(partitionIndex: wanted.partitionIndex, errorCode: .none, offset: log.bounds.highWatermark)
                case ListOffsetsRequest.earliest:
                    answer = .init(partitionIndex: wanted.partitionIndex, errorCode: .none, offset: log.bounds.logStartOffset)
                default:
                    do {
                        let found = try log.offset(forTimestamp: wanted.timestamp)
                        answer = .init(
                            partitionIndex: wanted.partitionIndex, errorCode: .none,
                            timestamp: found?.timestamp ?? -1, offset: found?.offset ?? -1
                        )
                    } catch {
                        logger.error("offset lookup failed", metadata: ["error": "\(error)"])
                        answer = .init(partitionIndex: wanted.partitionIndex, errorCode: .kafkaStorageError)
                    }
                }
                answer.leaderEpoch = 0
                return answer
            })
        })
    }
}
