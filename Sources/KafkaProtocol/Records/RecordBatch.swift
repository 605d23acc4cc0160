public import NIOCore

/// An uncompressed record batch: its header and decoded records.
///
/// The broker itself never needs this for client data (it stores batches verbatim); it uses
/// it for the logs it writes itself (committed offsets), for compaction after decompressing,
/// and tests use it to produce exact bytes.
public struct RecordBatch: Hashable, Sendable {
    public var header: RecordBatchHeader
    public var records: [Record]

    public init(header: RecordBatchHeader, records: [Record]) {
        self.header = header
        self.records = records
    }

    /// A batch of `records` whose deltas count from 0, with a fresh CRC.
    public init(
        baseOffset: Int64 = 0, baseTimestamp: Int64, records: [Record], attributes: Int16 = 0,
        producerId: Int64 = -1, producerEpoch: Int16 = -1, baseSequence: Int32 = -1
    ) {
        let maxDelta = records.map(\.timestampDelta).max() ?? 0
        self.header = RecordBatchHeader(
            baseOffset: baseOffset, attributes: attributes,
            lastOffsetDelta: Int32(records.count - 1), baseTimestamp: baseTimestamp,
            maxTimestamp: baseTimestamp + maxDelta, producerId: producerId, producerEpoch: producerEpoch,
            baseSequence: baseSequence, recordCount: Int32(records.count)
        )
        self.records = records
    }

    /// Writes the batch with `batchLength` and the CRC computed from its contents.
    public func encode(into buffer: inout ByteBuffer) {
        var body = ByteBuffer()
        for record in records { record.encode(into: &body) }
        encode(body: body, into: &buffer)
    }

    /// Writes the header in front of an already-encoded (possibly compressed) record body.
    public func encode(body: ByteBuffer, into buffer: inout ByteBuffer) {
        let start = buffer.writerIndex
        var header = self.header
        header.batchLength = Int32(RecordBatchHeader.size - RecordBatchHeader.logOverhead + body.readableBytes)
        header.encode(into: &buffer)
        buffer.writeImmutableBuffer(body)
        let crc = buffer.withUnsafeReadableBytes { bytes in
            let from = start - buffer.readerIndex + RecordBatchHeader.crcCoverageStart
            return CRC32C.checksum(UnsafeRawBufferPointer(rebasing: bytes[from...]))
        }
        buffer.setInteger(crc, at: start + RecordBatchHeader.crcOffset)
    }

    /// Decodes one uncompressed batch at the reader index and moves past it.
    public static func decode(from buffer: inout ByteBuffer) throws(KafkaCodecError) -> RecordBatch {
        guard let header = RecordBatchHeader(from: buffer) else { throw .truncated(field: "record batch header") }
        guard header.totalSize >= RecordBatchHeader.size, var batch = buffer.readSlice(length: header.totalSize) else {
            throw .invalidLength(field: "record batch", length: header.totalSize)
        }
        guard header.compression == CompressionCodec.none else {
            throw .invalidLength(field: "compressed record batch", length: header.totalSize)
        }
        batch.moveReaderIndex(forwardBy: RecordBatchHeader.size)
        var records: [Record] = []
        for _ in 0..<max(0, header.recordCount) {
            records.append(try Record.decode(from: &batch))
        }
        return RecordBatch(header: header, records: records)
    }
}
