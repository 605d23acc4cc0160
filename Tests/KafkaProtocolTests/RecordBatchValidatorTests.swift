import KafkaProtocol
import NIOCore
import Testing

/// Each way a produced batch is refused, and the Kafka error code the producer gets for it
/// (kafka-broker-brief.md §3.3 and §4.3). Bad batches are a valid encoded batch with one thing
/// changed; where the test is about something other than the checksum, the CRC is recomputed
/// so that the check under test is the one that fires.
@Suite struct RecordBatchValidatorTests {
    /// Two uncompressed records, no producer id.
    private let valid: [UInt8] = {
        var buffer = ByteBuffer()
        RecordBatch(baseTimestamp: 1000, records: [
            Record(key: nil, value: ByteBuffer(string: "a")),
            Record(timestampDelta: 1, offsetDelta: 1, key: ByteBuffer(string: "k"), value: ByteBuffer(string: "b")),
        ]).encode(into: &buffer)
        return buffer.bytes
    }()

    private func validate(
        _ bytes: [UInt8], produceVersion: Int16 = 7, maxBatchBytes: Int = 1_048_588
    ) -> Result<RecordBatchHeader, BatchRejection> {
        RecordBatchValidator.validate(
            ByteBuffer(bytes: bytes), produceVersion: produceVersion, maxBatchBytes: maxBatchBytes
        )
    }

    private func rejection(
        _ bytes: [UInt8], produceVersion: Int16 = 7, maxBatchBytes: Int = 1_048_588
    ) -> KafkaErrorCode? {
        let result = validate(bytes, produceVersion: produceVersion, maxBatchBytes: maxBatchBytes)
        guard case .failure(let rejection) = result else { return nil }
        return rejection.code
    }

    /// `valid` with a big-endian integer replaced at `offset`, and the CRC recomputed (with
    /// the test's own reference implementation) unless `fixCRC` is false.
    private func with<T: FixedWidthInteger>(
        _ value: T, at offset: Int, fixCRC: Bool = true, in base: [UInt8]? = nil
    ) -> [UInt8] {
        var buffer = ByteBuffer(bytes: base ?? valid)
        buffer.setInteger(value, at: offset)
        if fixCRC { buffer.setInteger(referenceCRC32C(buffer.bytes[21...]), at: 17) }
        return buffer.bytes
    }

    // MARK: - Accepted

    @Test func validBatchPasses() throws {
        let header = try validate(valid).get()
        #expect(header == RecordBatchHeader(from: ByteBuffer(bytes: valid)))
        #expect(header.recordCount == 2)
    }

    @Test func validBatchInsideALargerBufferPasses() throws {
        var buffer = ByteBuffer(bytes: [9, 9, 9] + valid)
        buffer.moveReaderIndex(forwardBy: 3)
        let result = RecordBatchValidator.validate(buffer, produceVersion: 3, maxBatchBytes: valid.count)
        #expect(try result.get().totalSize == valid.count)
    }

    /// baseOffset and partitionLeaderEpoch lie before byte 21, outside the CRC: the broker
    /// rewrites them on append, so changing them must not invalidate the batch.
    @Test func bytesBeforeTheCRCCoverageAreNotChecked() {
        #expect(rejection(with(Int64(12345), at: 0, fixCRC: false)) == nil)
        #expect(rejection(with(Int32(7), at: 12, fixCRC: false)) == nil)
    }

    @Test func idempotentBatchWithSequencePasses() {
        let idempotent = with(Int32(0), at: 53, in: with(Int64(42), at: 43))
        #expect(rejection(idempotent) == nil)
    }

    // MARK: - CORRUPT_MESSAGE

    @Test(arguments: [0, 1, 16, 17, 40, 60])
    func shortInputIsCorrupt(_ length: Int) {
        #expect(rejection(Array(valid[..<length])) == .corruptMessage)
    }

    @Test func truncatedBatchIsCorrupt() {
        #expect(rejection(Array(valid.dropLast())) == .corruptMessage)
    }

    @Test func batchLengthShorterThanTheHeaderIsCorrupt() {
        #expect(rejection(with(Int32(48), at: 8)) == .corruptMessage)
        #expect(rejection(with(Int32(-1), at: 8)) == .corruptMessage)
    }

    @Test func crcMismatchIsCorrupt() {
        var flipped = valid
        flipped[flipped.count - 2] ^= 0x01  // inside the last record
        #expect(rejection(flipped) == .corruptMessage)
        #expect(rejection(with(Int16(0), at: 21, fixCRC: false, in: with(Int16(0x08), at: 21, fixCRC: false))) == nil)
        #expect(rejection(with(Int16(0x08), at: 21, fixCRC: false)) == .corruptMessage, "attributes are covered")
        #expect(rejection(with(UInt32(0), at: 17, fixCRC: false)) == .corruptMessage)
    }

    @Test(arguments: [Int16(5), 6, 7])
    func unknownCodecIsCorrupt(_ codec: Int16) {
        #expect(rejection(with(codec, at: 21)) == .corruptMessage)
    }

    @Test func recordLengthRunningPastTheBatchIsCorrupt() {
        // The first record's length varint, right after the header: claim 63 bytes (zig-zag 0x7E).
        #expect(rejection(with(UInt8(0x7E), at: 61)) == .corruptMessage)
        // ...or zero bytes.
        #expect(rejection(with(UInt8(0x00), at: 61)) == .corruptMessage)
    }

    @Test func recordCountDisagreeingWithTheRecordsIsCorrupt() {
        // Header says three records (consistently: lastOffsetDelta 2), the body holds two.
        let three = with(Int32(3), at: 57, in: with(Int32(2), at: 23))
        #expect(rejection(three) == .corruptMessage)
    }

    // MARK: - INVALID_RECORD

    @Test func twoBatchesAreInvalid() {
        #expect(rejection(valid + valid) == .invalidRecord)
        #expect(rejection(valid + [0]) == .invalidRecord)
    }

    @Test func controlBatchIsInvalid() {
        #expect(rejection(with(Int16(0x20), at: 21)) == .invalidRecord)
    }

    @Test func transactionalBatchIsInvalid() {
        let transactional = with(Int16(0x10), at: 21, in: with(Int32(0), at: 53, in: with(Int64(42), at: 43)))
        #expect(rejection(transactional) == .invalidRecord)
    }

    @Test func recordCountAndLastOffsetDeltaMustAgree() {
        #expect(rejection(with(Int32(5), at: 23)) == .invalidRecord)
        #expect(rejection(with(Int32(1), at: 57)) == .invalidRecord)
        #expect(rejection(with(Int32(0), at: 57, in: with(Int32(-1), at: 23))) == .invalidRecord, "empty batch")
    }

    @Test func producerIdWithoutBaseSequenceIsInvalid() {
        #expect(rejection(with(Int64(42), at: 43)) == .invalidRecord)
    }

    // MARK: - Other codes

    @Test(arguments: [Int8(0), 1, 3])
    func otherMagicIsUnsupported(_ magic: Int8) {
        #expect(rejection(with(magic, at: 16, fixCRC: false)) == .unsupportedForMessageFormat)
        // A legacy message set is shorter than a v2 header; the magic byte still decides.
        #expect(rejection(Array(with(magic, at: 16)[..<30])) == .unsupportedForMessageFormat)
    }

    @Test func zstdNeedsProduceV7() {
        let zstd = with(Int16(CompressionCodec.zstd.rawValue), at: 21)
        #expect(rejection(zstd, produceVersion: 6) == .unsupportedCompressionType)
        #expect(rejection(zstd, produceVersion: 3) == .unsupportedCompressionType)
        // Compressed bodies are not walked, so this one passes at v7.
        #expect(rejection(zstd, produceVersion: 7) == nil)
        #expect(rejection(with(Int16(CompressionCodec.gzip.rawValue), at: 21), produceVersion: 3) == nil)
    }

    @Test func batchAboveTheLimitIsTooLarge() {
        #expect(rejection(valid, maxBatchBytes: valid.count - 1) == .messageTooLarge)
        #expect(rejection(valid, maxBatchBytes: valid.count) == nil)
    }

    @Test func rejectionsCarryAReason() throws {
        guard case .failure(let rejection) = validate(valid + valid) else {
            Issue.record("two batches were accepted")
            return
        }
        #expect(!rejection.reason.isEmpty)
        #expect(rejection.description.hasPrefix("INVALID_RECORD: "))
    }
}
