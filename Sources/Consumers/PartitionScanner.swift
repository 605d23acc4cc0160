import Foundation
import Kafka
import Logging
import Projections

/// Reads a stretch of one partition with a private consumer: used to rebuild state from the
/// log before taking over a partition.
public struct PartitionScanner: Sendable {
    public let kafka: KafkaConfiguration
    public let logger: Logger

    public init(kafka: KafkaConfiguration, logger: Logger) {
        self.kafka = kafka
        self.logger = logger
    }

    /// Calls `body` with the batches of `partition` from the log start up to (not including)
    /// `end`, or the partition's end at the time of the call when `end` is nil. Returns the
    /// offset after the last record read.
    @discardableResult
    public func scan(
        _ partition: TopicPartition, from start: Int64 = KafkaOffset.beginning, until end: Int64? = nil,
        _ body: ([KafkaRecord]) async throws -> Void
    ) async throws -> Int64 {
        let consumer = try KafkaConsumer(configuration: kafka, logger: logger)
        do {
            let watermarks = try await consumer.watermarks(partition)
            let limit = end ?? watermarks.high
            var next = max(watermarks.low, start < 0 ? watermarks.low : start)
            if next < limit {
                try consumer.assign([partition: next])
                for try await batch in consumer.batches {
                    let wanted = batch.filter { $0.offset < limit }
                    if !wanted.isEmpty { try await body(wanted) }
                    next = (batch.last?.offset ?? next - 1) + 1
                    if next >= limit { break }
                }
            }
            await consumer.close()
            return max(next, limit)
        } catch {
            await consumer.close()
            throw error
        }
    }
}
