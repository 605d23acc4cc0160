import KafkaProtocol
import NIOCore

/// The records inside one stored batch, decompressed if needed.
enum BatchRecords {
    static func decode(_ batch: ByteBuffer, header: RecordBatchHeader) throws -> [Record] {
        guard let codec = header.compression else { throw Decompressor.Failure(description: "unknown codec") }
        var body = batch.getSlice(at: batch.readerIndex + RecordBatchHeader.size, length: header.totalSize - RecordBatchHeader.size)!
        if codec != .none { body = try Decompressor.decompress(body, codec: codec) }
        var records: [Record] = []
        records.reserveCapacity(Int(max(0, header.recordCount)))
        while body.readableBytes > 0 {
            records.append(try Record.decode(from: &body))
        }
        return records
    }
}
