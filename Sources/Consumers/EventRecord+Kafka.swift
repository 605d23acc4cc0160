import Foundation
import Kafka
import Projections

extension EventRecord {
    /// The chat's view of a Kafka record; nil for a record without the type headers (not
    /// written by the chat, e.g. by hand with kcat), which readers skip.
    public init?(_ record: KafkaRecord) {
        guard let type = record.header(EventCoding.typeHeader), let version = record.header(EventCoding.versionHeader).flatMap(Int.init)
        else { return nil }
        self.init(
            topic: record.topic, partition: record.partition, offset: record.offset,
            key: record.key.map { String(decoding: $0, as: UTF8.self) } ?? "", type: type, version: version,
            value: record.value ?? Data()
        )
    }
}

extension Collection<KafkaRecord> {
    /// Per partition, the offset after the last record of this batch: what a reader stores
    /// as applied once the batch is.
    public var nextOffsets: [Int32: Int64] {
        reduce(into: [:]) { next, record in next[record.partition] = Swift.max(next[record.partition] ?? 0, record.offset + 1) }
    }
}
