public import NIOCore

/// Why a produced record batch is refused, as the Kafka error code the producer gets.
public struct BatchRejection: Error, Hashable, Sendable, CustomStringConvertible {
    public var code: KafkaErrorCode
    public var reason: String

    public init(_ code: KafkaErrorCode, _ reason: String) {
        self.code = code
        self.reason = reason
    }

    public var description: String { "\(code): \(reason)" }
}

/// Checks one partition's produced records the way Kafka's `LogValidator` does for the
/// header, without decompressing anything: framing, magic, CRC-32C, codec, offset range,
/// producer fields and size. Uncompressed batches also have their record framing walked.
public enum RecordBatchValidator {
    public static func validate(
        _ records: ByteBuffer, produceVersion: Int16, maxBatchBytes: Int
    ) -> Result<RecordBatchHeader, BatchRejection> {
        let size = records.readableBytes
        if size > RecordBatchHeader.magicOffset,
            let magic = records.getInteger(at: records.readerIndex + RecordBatchHeader.magicOffset, as: Int8.self),
            magic != 2
        {
            return .failure(.init(.unsupportedForMessageFormat, "magic \(magic) batches are not accepted; use magic 2"))
        }
        guard let header = RecordBatchHeader(from: records) else {
            return .failure(.init(.corruptMessage, "\(size) bytes are too few for a record batch"))
        }
        guard header.batchLength >= RecordBatchHeader.size - RecordBatchHeader.logOverhead else {
            return .failure(.init(.corruptMessage, "batch length \(header.batchLength) is shorter than its header"))
        }
        if header.totalSize > size {
            return .failure(.init(.corruptMessage, "batch of \(header.totalSize) bytes is truncated to \(size)"))
        }
        if header.totalSize < size {
            return .failure(.init(.invalidRecord, "exactly one record batch per partition is allowed"))
        }
        if size > maxBatchBytes {
            return .failure(.init(.messageTooLarge, "batch of \(size) bytes exceeds max.message.bytes \(maxBatchBytes)"))
        }
        let covered = records.readableBytesView.dropFirst(RecordBatchHeader.crcCoverageStart)
        let crc = covered.withContiguousStorageIfAvailable { CRC32C.checksum(UnsafeRawBufferPointer($0)) }
            ?? CRC32C.checksum(covered)
        guard crc == header.crc else {
            return .failure(.init(.corruptMessage, "CRC-32C mismatch: batch says \(header.crc), bytes give \(crc)"))
        }
        guard let codec = header.compression else {
            return .failure(.init(.corruptMessage, "unknown compression codec \(header.attributes & 0x7)"))
        }
        if codec == .zstd && produceVersion < 7 {
            return .failure(.init(.unsupportedCompressionType, "zstd needs Produce v7 or later"))
        }
        if header.isControl {
            return .failure(.init(.invalidRecord, "clients may not produce control batches"))
        }
        if header.isTransactional {
            return .failure(.init(.invalidRecord, "transactions are not supported by this broker"))
        }
        guard header.recordCount > 0, Int64(header.lastOffsetDelta) == Int64(header.recordCount) - 1 else {
            return .failure(.init(
                .invalidRecord,
                "inconsistent batch offset range: \(header.recordCount) records, last delta \(header.lastOffsetDelta)"
            ))
        }
        if header.hasProducerId && header.baseSequence < 0 {
            return .failure(.init(.invalidRecord, "idempotent batch without a base sequence"))
        }
        if codec == .none, let problem = recordFramingProblem(records, header: header) {
            return .failure(.init(.corruptMessage, problem))
        }
        return .success(header)
    }

    /// Walks the length prefixes of an uncompressed batch's records: they must tile the body
    /// exactly and number `recordCount`.
    private static func recordFramingProblem(_ records: ByteBuffer, header: RecordBatchHeader) -> String? {
        var body = records
        body.moveReaderIndex(forwardBy: RecordBatchHeader.size)
        var count: Int32 = 0
        while body.readableBytes > 0 {
            guard let length = try? body.readVarint(), length > 0, Int(length) <= body.readableBytes else {
                return "record \(count) has an invalid length"
            }
            body.moveReaderIndex(forwardBy: Int(length))
            count += 1
        }
        return count == header.recordCount ? nil : "batch says \(header.recordCount) records but holds \(count)"
    }
}
