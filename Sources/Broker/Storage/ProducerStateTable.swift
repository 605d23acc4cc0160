import KafkaProtocol

/// What the broker remembers per idempotent producer on one partition: its epoch and the
/// last few batches it appended, so a retried batch is acknowledged instead of appended twice
/// and a batch that skips a sequence number is refused.
struct ProducerStateTable: Codable, Sendable, Equatable {
    /// How many recent batches are remembered per producer (Kafka's in-flight limit is 5).
    static let window = 5

    struct Batch: Codable, Sendable, Equatable {
        var firstSequence: Int32
        var lastSequence: Int32
        var baseOffset: Int64
    }

    struct Producer: Codable, Sendable, Equatable {
        var epoch: Int16
        var batches: [Batch]
    }

    enum Decision: Equatable {
        /// A new batch in sequence (or from a producer not seen before): append it.
        case append
        /// A retry of a batch already in the log at this base offset: acknowledge, do not append.
        case duplicate(baseOffset: Int64)
        case reject(KafkaErrorCode, String)
    }

    private(set) var producers: [Int64: Producer] = [:]

    func decide(_ header: RecordBatchHeader) -> Decision {
        guard header.hasProducerId else { return .append }
        guard let producer = producers[header.producerId] else {
            // Like Kafka, accept the first batch of an unknown producer at any sequence: its
            // earlier batches may have been removed by retention.
            return .append
        }
        if header.producerEpoch < producer.epoch {
            return .reject(.invalidProducerEpoch, "epoch \(header.producerEpoch) is older than \(producer.epoch)")
        }
        if header.producerEpoch > producer.epoch {
            return header.baseSequence == 0
                ? .append
                : .reject(.outOfOrderSequenceNumber, "a new epoch must start at sequence 0")
        }
        if let cached = producer.batches.first(where: {
            $0.firstSequence == header.baseSequence && $0.lastSequence == header.lastSequence
        }) {
            return .duplicate(baseOffset: cached.baseOffset)
        }
        let expected = producer.batches.last.map { $0.lastSequence == Int32.max ? 0 : $0.lastSequence + 1 } ?? 0
        guard header.baseSequence == expected else {
            return .reject(
                .outOfOrderSequenceNumber,
                "producer \(header.producerId) sent sequence \(header.baseSequence), expected \(expected)"
            )
        }
        return .append
    }

    /// Remembers a batch that was appended at `baseOffset`.
    mutating func record(_ header: RecordBatchHeader, baseOffset: Int64) {
        guard header.hasProducerId else { return }
        var producer = producers[header.producerId] ?? Producer(epoch: header.producerEpoch, batches: [])
        if header.producerEpoch != producer.epoch {
            producer = Producer(epoch: header.producerEpoch, batches: [])
        }
        producer.batches.append(
            Batch(firstSequence: header.baseSequence, lastSequence: header.lastSequence, baseOffset: baseOffset)
        )
        if producer.batches.count > Self.window { producer.batches.removeFirst(producer.batches.count - Self.window) }
        producers[header.producerId] = producer
    }
}
