import Logging
import KafkaProtocol
import NIOCore

extension RequestHandler {
    /// Answers with whole batches from each partition, or long-polls until data arrives
    /// (`minBytes`) or `maxWaitMs` passes. Every requested partition appears in the answer,
    /// with a non-null (possibly empty) record set.
    func fetch(_ request: FetchRequest, _ context: RequestContext) async -> FetchResponse {
        let deadline = ContinuousClock.now + .milliseconds(max(0, request.maxWaitMs))
        while true {
            let (response, bytes, hasError, seen) = readOnce(request)
            let remaining = deadline - ContinuousClock.now
            if bytes >= max(1, Int(request.minBytes)) || hasError || remaining <= .zero || Task.isCancelled {
                BrokerMetrics.fetched(bytes: bytes)
                return response
            }
            // Only a fetch that waits registers; a partition that moved past what the read saw
            // fires the signal at once, so an append between the read and here is not missed.
            let signal = OneShotSignal()
            for (log, highWatermark) in seen { log.notifyOnAppend(signal, after: highWatermark) }
            await signal.wait(timeout: remaining)
        }
    }

    /// One pass over the requested partitions; also returns the high watermark each read saw.
    private func readOnce(_ request: FetchRequest) -> (FetchResponse, Int, Bool, [(PartitionLog, Int64)]) {
        var seen: [(PartitionLog, Int64)] = []
        var budget = Int(request.maxBytes)
        var total = 0
        var hasError = false
        var topics: [FetchResponse.Topic] = []
        for topic in request.topics {
            var partitions: [FetchResponse.Partition] = []
            for wanted in topic.partitions {
                guard let log = logs.partition(topic.topic, wanted.partition) else {
                    hasError = true
                    partitions.append(FetchResponse.Partition(partitionIndex: wanted.partition, errorCode: .unknownTopicOrPartition))
                    continue
                }
                // KIP-74: the first batch found is returned even past the limits, so that a
                // consumer always makes progress; after that the limits hold.
                let limit = total == 0 ? Int(wanted.partitionMaxBytes) : min(Int(wanted.partitionMaxBytes), budget)
                do {
                    switch limit > 0 ? try log.read(from: wanted.fetchOffset, maxBytes: limit) : .records(.init(records: ByteBuffer(), bounds: log.bounds)) {
                    case .outOfRange(let bounds):
                        hasError = true
                        partitions.append(FetchResponse.Partition(
                            partitionIndex: wanted.partition, errorCode: .offsetOutOfRange,
                            highWatermark: bounds.highWatermark, logStartOffset: bounds.logStartOffset
                        ))
                    case .records(let result):
                        seen.append((log, result.bounds.highWatermark))
                        total += result.records.readableBytes
                        budget -= result.records.readableBytes
                        partitions.append(FetchResponse.Partition(
                            partitionIndex: wanted.partition, errorCode: .none,
                            highWatermark: result.bounds.highWatermark, logStartOffset: result.bounds.logStartOffset,
                            records: result.records
                        ))
                    }
                } catch {
                    hasError = true
                    logger.error("read failed", metadata: ["partition": "\(topic.topic)-\(wanted.partition)", "error": "\(error)"])
                    partitions.append(FetchResponse.Partition(partitionIndex: wanted.partition, errorCode: .kafkaStorageError))
                }
            }
            topics.append(FetchResponse.Topic(topic: topic.topic, partitions: partitions))
        }
        return (FetchResponse(topics: topics), total, hasError, seen)
    }
}
