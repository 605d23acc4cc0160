import Logging
import KafkaProtocol
import NIOCore

extension RequestHandler {
    /// Where an appended batch must become durable before `acks=-1` is answered: the log, the
    /// offset after the batch, and the batch's place in the response.
    struct DurableWait: Sendable {
        var log: PartitionLog
        var offset: Int64
        var topic: Int
        var partition: Int
    }

    /// Appends each partition's batch and returns the response as it stands after the
    /// appends, with what must become durable before an `acks=-1` answer. Every requested
    /// partition is answered, each with its own error code.
    func produce(_ request: ProduceRequest, _ context: RequestContext) -> (ProduceResponse, [DurableWait]) {
        let now = currentTimeMillis()
        var durable: [DurableWait] = []
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
                    let outcome = try log.append(records, header: header, now: now)
                    // A retried duplicate is acknowledged again but not stored again.
                    if case .appended = outcome { BrokerMetrics.produced(records: header.recordCount, bytes: records.readableBytes) }
                    switch outcome {
                    case .appended(let baseOffset), .duplicate(let baseOffset):
                        durable.append(DurableWait(
                            log: log, offset: baseOffset + Int64(header.lastOffsetDelta) + 1, topic: topicIndex,
                            partition: partitions.count
                        ))
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
        return (ProduceResponse(topics: topics), durable)
    }
}

extension PendingProduce {
    /// Answers `wait`'s partition with KAFKA_STORAGE_ERROR instead of its offset: its fsync
    /// failed.
    mutating func markFailed(_ wait: RequestHandler.DurableWait) {
        let index = response.topics[wait.topic].partitions[wait.partition].index
        response.topics[wait.topic].partitions[wait.partition] = ProduceResponse.Partition(index: index, errorCode: .kafkaStorageError)
    }
}
