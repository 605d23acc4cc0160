import Logging
import KafkaProtocol
import NIOCore

/// One pass of a fetch over its partitions.
struct FetchRead {
    var response: FetchResponse
    /// Record bytes in the response.
    var bytes: Int
    /// Some partition answered with an error: the fetch is answered at once.
    var hasError: Bool
    /// Each partition read, with the high watermark the read saw.
    var seen: [(PartitionLog, Int64)]
}

extension RequestHandler {
    /// Reads whole batches from each partition of a fetch. Every requested partition appears
    /// in the answer, with a non-null (possibly empty) record set; the connection long-polls
    /// with these reads until `minBytes` arrive or `maxWaitMs` passes.
    func read(_ request: FetchRequest) -> FetchRead {
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
        return FetchRead(response: FetchResponse(topics: topics), bytes: total, hasError: hasError, seen: seen)
    }
}
