import Logging
import KafkaProtocol

extension RequestHandler {
    /// Appends each partition's batch, then (for `acks=-1`) waits until every appended batch
    /// is durable. Every requested partition is answered, each with its own error code.
    func produce(_ request: ProduceRequest, _ context: RequestContext) async -> ProduceResponse {
        let now = currentTimeMillis()
        var durable: [(log: PartitionLog, offset: Int64, topic: Int, partition: Int)] = []
        var topics: [ProduceResponse.Topic] = []
        for (topicIndex, topicData) in request.topics.enumerated() {
            var partitions: [ProduceResponse.Partition] = []
            for data in topicData.partitions {
                func failed(_ code: KafkaErrorCode) -> ProduceResponse.Partition {
                    ProduceResponse.Partition(index: data.index, errorCode: code)
                }
                guard [0, 1, -1].contains(request.acks) else {
                    partitions.append(failed(.invalidRequiredAcks))
                    continue
                }
                guard request.transactionalId == nil else {
                    partitions.append(failed(.transactionalIdAuthorizationFailed))
                    continue
                }
                guard let log = logs.partition(topicData.name, data.index), !(logs.topic(topicData.name)?.isInternal ?? true) else {
                    partitions.append(failed(.unknownTopicOrPartition))
                    continue
                }
                guard let records = data.records else {
                    partitions.append(failed(.invalidRecord))
                    continue
                }
                let header: RecordBatchHeader
                switch RecordBatchValidator.validate(
                    records, produceVersion: context.version, maxBatchBytes: log.config.maxMessageBytes
                ) {
                case .failure(let rejection):
                    logger.debug("rejected batch", metadata: ["partition": "\(topicData.name)-\(data.index)", "reason": "\(rejection)"])
                    partitions.append(failed(rejection.code))
                    continue
                case .success(let valid):
                    header = valid
                }
                do {
                    switch try log.append(records, header: header, now: now) {
                    case .appended(let baseOffset), .duplicate(let baseOffset):
                        durable.append((log, baseOffset + Int64(header.lastOffsetDelta) + 1, topicIndex, partitions.count))
                        partitions.append(ProduceResponse.Partition(
                            index: data.index, errorCode: .none, baseOffset: baseOffset,
                            logStartOffset: log.bounds.logStartOffset
                        ))
                    case .rejected(let rejection):
                        logger.debug("rejected batch", metadata: ["partition": "\(topicData.name)-\(data.index)", "reason": "\(rejection)"])
                        partitions.append(failed(rejection.code))
                    }
                } catch {
                    logger.error("append failed", metadata: ["partition": "\(topicData.name)-\(data.index)", "error": "\(error)"])
                    partitions.append(failed(.kafkaStorageError))
                }
            }
            topics.append(ProduceResponse.Topic(name: topicData.name, partitions: partitions))
        }
        if request.acks == -1 {
            for entry in durable {
                do {
                    try await entry.log.waitUntilDurable(entry.offset)
                } catch {
                    topics[entry.topic].partitions[entry.partition] = ProduceResponse.Partition(
                        index: topics[entry.topic].partitions[entry.partition].index, errorCode: .kafkaStorageError
                    )
                }
            }
        }
        return ProduceResponse(topics: topics)
    }
}
