import KafkaProtocol
import Logging
import NIOCore
import Synchronization

/// Committed consumer-group offsets, kept durably the way Kafka keeps them: as records of an
/// internal compacted topic (`__consumer_offsets`, one partition) whose latest record per
/// (group, topic, partition) wins. The whole topic is replayed into memory at startup;
/// compaction keeps it about as small as the set of live keys.
final class OffsetStore: Sendable {
    static let topic = "__consumer_offsets"

    struct Key: Hashable, Sendable {
        var group: String
        var topic: String
        var partition: Int32
    }

    struct Committed: Hashable, Sendable {
        var offset: Int64
        var metadata: String?
        var timestamp: Int64
    }

    private let log: PartitionLog
    private let committed: Mutex<[Key: Committed]>
    /// Serialises appends so records reach the log in the order their commits were accepted.
    private let appendLock = Mutex(())

    init(logs: LogManager, logger: Logger) throws {
        let topic = try logs.topic(Self.topic) ?? logs.createTopic(
            name: Self.topic, partitions: 1, configs: ["cleanup.policy": "compact", "segment.bytes": "\(64 << 20)"],
            allowInternal: true
        )
        log = topic.partitions[0]
        committed = Mutex(try Self.replay(log))
        logger.info("loaded committed offsets", metadata: ["entries": "\(committed.withLock { $0.count })"])
    }

    private static func replay(_ log: PartitionLog) throws -> [Key: Committed] {
        var state: [Key: Committed] = [:]
        var offset = log.bounds.logStartOffset
        while offset < log.bounds.highWatermark {
            guard case .records(let result) = try log.read(from: offset, maxBytes: 1 << 20), result.records.readableBytes > 0
            else { break }
            var records = result.records
            while records.readableBytes > 0 {
                let batch = try RecordBatch.decode(from: &records)
                for record in batch.records where batch.header.baseOffset + Int64(record.offsetDelta) >= offset {
                    apply(record, to: &state)
                }
                offset = batch.header.nextOffset
            }
        }
        return state
    }

    private static func apply(_ record: Record, to state: inout [Key: Committed]) {
        guard var keyBytes = record.key, let key = decodeKey(&keyBytes) else { return }
        if var value = record.value, let committed = decodeValue(&value) {
            state[key] = committed
        } else {
            state[key] = nil
        }
    }

    // MARK: - Reading

    func committed(group: String) -> [Key: Committed] {
        committed.withLock { $0.filter { $0.key.group == group } }
    }

    func committed(_ key: Key) -> Committed? {
        committed.withLock { $0[key] }
    }

    var groups: Set<String> {
        committed.withLock { Set($0.keys.map(\.group)) }
    }

    // MARK: - Writing

    /// Stores `entries` (nil removes a key) and returns once they are durable.
    func store(_ entries: [(Key, Committed?)]) async throws {
        guard !entries.isEmpty else { return }
        let now = currentTimeMillis()
        let records = entries.enumerated().map { index, entry in
            Record(
                offsetDelta: Int32(index), key: Self.encodeKey(entry.0), value: entry.1.map(Self.encodeValue)
            )
        }
        var batch = ByteBuffer()
        RecordBatch(baseTimestamp: now, records: records).encode(into: &batch)
        let header = RecordBatchHeader(from: batch)!
        let base: Int64 = try appendLock.withLock { _ in
            guard case .appended(let base) = try log.append(batch, header: header, now: now) else {
                throw StorageError("append", path: log.directory, errno: EIO)
            }
            committed.withLock { state in
                for (key, value) in entries { state[key] = value }
            }
            return base
        }
        try await log.waitUntilDurable(base + Int64(records.count))
    }

    // MARK: - Record format (version 1, big-endian, Kafka-style strings)

    private static func encodeKey(_ key: Key) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.writeInteger(Int16(1))
        writeString(key.group, into: &buffer)
        writeString(key.topic, into: &buffer)
        buffer.writeInteger(key.partition)
        return buffer
    }

    private static func decodeKey(_ buffer: inout ByteBuffer) -> Key? {
        guard buffer.readInteger(as: Int16.self) == 1, let group = readString(&buffer), let topic = readString(&buffer),
            let partition = buffer.readInteger(as: Int32.self)
        else { return nil }
        return Key(group: group, topic: topic, partition: partition)
    }

    private static func encodeValue(_ value: Committed) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.writeInteger(Int16(1))
        buffer.writeInteger(value.offset)
        buffer.writeInteger(value.timestamp)
        buffer.writeInteger(Int8(value.metadata == nil ? 0 : 1))
        writeString(value.metadata ?? "", into: &buffer)
        return buffer
    }

    private static func decodeValue(_ buffer: inout ByteBuffer) -> Committed? {
        guard buffer.readInteger(as: Int16.self) == 1, let offset = buffer.readInteger(as: Int64.self),
            let timestamp = buffer.readInteger(as: Int64.self), let hasMetadata = buffer.readInteger(as: Int8.self),
            let metadata = readString(&buffer)
        else { return nil }
        return Committed(offset: offset, metadata: hasMetadata == 1 ? metadata : nil, timestamp: timestamp)
    }

    private static func writeString(_ string: String, into buffer: inout ByteBuffer) {
        buffer.writeInteger(Int32(string.utf8.count))
        buffer.writeString(string)
    }

    private static func readString(_ buffer: inout ByteBuffer) -> String? {
        guard let length = buffer.readInteger(as: Int32.self), length >= 0 else { return nil }
        return buffer.readString(length: Int(length))
    }
}

#if canImport(Glibc)
import Glibc
#endif
