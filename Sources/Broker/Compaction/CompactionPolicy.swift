import KafkaProtocol
import NIOCore

/// Which records compaction keeps: for every key, only its latest record; a latest record
/// that is a tombstone (null value) only while it is younger than `delete.retention.ms`, so
/// that consumers get to see the delete. Records without a key are kept as they are.
struct CompactionPolicy {
    /// The offset of the latest record of each key in the range being cleaned.
    private(set) var latest: [ByteBuffer: Int64] = [:]
    let now: Int64
    let deleteRetentionMs: Int64

    init(now: Int64, deleteRetentionMs: Int64) {
        self.now = now
        self.deleteRetentionMs = deleteRetentionMs
    }

    mutating func observe(_ records: [Record], in header: RecordBatchHeader) {
        for record in records {
            guard let key = record.key else { continue }
            latest[key] = header.baseOffset + Int64(record.offsetDelta)
        }
    }

    func keeps(_ record: Record, in header: RecordBatchHeader) -> Bool {
        guard let key = record.key else { return true }
        guard latest[key] == header.baseOffset + Int64(record.offsetDelta) else { return false }
        if record.value == nil {
            let timestamp = header.baseTimestamp + record.timestampDelta
            return now - timestamp < deleteRetentionMs
        }
        return true
    }

    /// The batch as compaction leaves it: unchanged (verbatim, compression included) when
    /// every record stays, rebuilt uncompressed from the survivors otherwise, nil when none
    /// survive. A rebuilt batch keeps its base offset and last offset delta, so every
    /// surviving record keeps its offset.
    func compact(_ batch: ByteBuffer, header: RecordBatchHeader, records: [Record]) -> ByteBuffer? {
        let kept = records.filter { keeps($0, in: header) }
        if kept.count == records.count { return batch }
        guard !kept.isEmpty else { return nil }
        var rebuilt = header
        rebuilt.attributes &= ~0x7
        rebuilt.recordCount = Int32(kept.count)
        var output = ByteBuffer()
        RecordBatch(header: rebuilt, records: kept).encode(into: &output)
        return output
    }
}
