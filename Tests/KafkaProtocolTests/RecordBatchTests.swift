import KafkaProtocol
import NIOCore
import Testing

/// Records (zig-zag varint framing), record batches (CRC, lengths) and the 61-byte header,
/// following kafka-broker-brief.md §4.1.
@Suite struct RecordBatchTests {
    private func encoded(_ record: Record) -> [UInt8] {
        var buffer = ByteBuffer()
        record.encode(into: &buffer)
        return buffer.bytes
    }

    private func buffer(_ text: String) -> ByteBuffer { ByteBuffer(string: text) }

    // MARK: - Record

    @Test func recordGoldenBytesNullKey() throws {
        let record = Record(key: nil, value: buffer("hi"))
        let bytes: [UInt8] = [
            0x10,  // length 8 (zig-zag 16)
            0x00,  // attributes
            0x00,  // timestampDelta 0
            0x00,  // offsetDelta 0
            0x01,  // key length -1: null
            0x04, 0x68, 0x69,  // value length 2, "hi"
            0x00,  // no headers
        ]
        #expect(encoded(record) == bytes)
        var golden = ByteBuffer(bytes: bytes)
        #expect(try Record.decode(from: &golden) == record)
        #expect(golden.readableBytes == 0)
    }

    @Test func recordGoldenBytesNullValueAndHeaders() throws {
        let record = Record(timestampDelta: 300, offsetDelta: 1, key: buffer("k"), value: nil, headers: [
            .init(key: "h", value: nil),
            .init(key: "h2", value: buffer("v")),
        ])
        let bytes: [UInt8] = [
            0x20,  // length 16
            0x00,
            0xD8, 0x04,  // timestampDelta 300 (zig-zag 600)
            0x02,  // offsetDelta 1
            0x02, 0x6B,  // key "k"
            0x01,  // value null
            0x04,  // two headers
            0x02, 0x68, 0x01,  // "h" -> null
            0x04, 0x68, 0x32, 0x02, 0x76,  // "h2" -> "v"
        ]
        #expect(encoded(record) == bytes)
        var golden = ByteBuffer(bytes: bytes)
        #expect(try Record.decode(from: &golden) == record)
    }

    private static let records: [Record] = [
        Record(key: nil, value: nil),
        Record(timestampDelta: -5, offsetDelta: Int32.max, key: ByteBuffer(), value: ByteBuffer()),
        Record(timestampDelta: Int64.max, offsetDelta: 3, key: ByteBuffer(string: "key"),
               value: ByteBuffer(repeating: 0xAB, count: 300), headers: [.init(key: "", value: nil)]),
        Record(key: nil, value: ByteBuffer(string: "v"), headers: (0..<70).map {
            .init(key: "h\($0)", value: $0.isMultiple(of: 2) ? nil : ByteBuffer(string: "\($0)"))
        }),
    ]

    @Test(arguments: records)
    func recordRoundTrip(_ record: Record) throws {
        var buffer = ByteBuffer()
        record.encode(into: &buffer)
        buffer.writeInteger(UInt8(0x99))  // the next record's first byte
        #expect(try Record.decode(from: &buffer) == record)
        #expect(buffer.bytes == [0x99])
    }

    @Test func recordPrefixesThrow() {
        let bytes = encoded(Self.records[2])
        for length in 0..<bytes.count {
            var prefix = ByteBuffer(bytes: Array(bytes[..<length]))
            #expect(throws: KafkaCodecError.self, "prefix \(length)") { try Record.decode(from: &prefix) }
        }
    }

    @Test func recordFramingErrors() {
        var empty = ByteBuffer(bytes: [0x00])
        #expect(throws: KafkaCodecError.invalidLength(field: "record", length: 0)) { try Record.decode(from: &empty) }
        var short = ByteBuffer(bytes: [0x0E, 0x00])
        #expect(throws: KafkaCodecError.invalidLength(field: "record", length: 7)) { try Record.decode(from: &short) }
        // The length claims one byte more than the fields use.
        var padded = ByteBuffer(bytes: [0x12, 0x00, 0x00, 0x00, 0x01, 0x04, 0x68, 0x69, 0x00, 0x00])
        #expect(throws: KafkaCodecError.trailingBytes(count: 1)) { try Record.decode(from: &padded) }
        // Key length -2 (zig-zag 3).
        var badKey = ByteBuffer(bytes: [0x0A, 0x00, 0x00, 0x00, 0x03, 0x01])
        #expect(throws: KafkaCodecError.invalidLength(field: "record key", length: -2)) {
            try Record.decode(from: &badKey)
        }
    }

    // MARK: - RecordBatch

    private func sampleBatch() -> RecordBatch {
        RecordBatch(
            baseOffset: 100, baseTimestamp: 1_700_000_000_000,
            records: [
                Record(key: nil, value: ByteBuffer(string: "a")),
                Record(timestampDelta: 5, offsetDelta: 1, key: ByteBuffer(string: "k"), value: nil,
                       headers: [.init(key: "h", value: nil)]),
            ],
            producerId: 7, producerEpoch: 1, baseSequence: 10
        )
    }

    private func int<T: FixedWidthInteger>(_ bytes: [UInt8], at offset: Int, as: T.Type) -> T {
        ByteBuffer(bytes: bytes).getInteger(at: offset, as: T.self)!
    }

    @Test func encodedBatchHasValidLengthAndCRC() throws {
        var buffer = ByteBuffer()
        sampleBatch().encode(into: &buffer)
        let bytes = buffer.bytes
        #expect(int(bytes, at: 8, as: Int32.self) == Int32(bytes.count - 12), "batchLength = total - 12")
        #expect(int(bytes, at: 17, as: UInt32.self) == referenceCRC32C(bytes[21...]), "CRC-32C over [21, end)")
        #expect(bytes[16] == 2, "magic")
        #expect(int(bytes, at: 0, as: Int64.self) == 100)
        #expect(int(bytes, at: 12, as: Int32.self) == 0, "partitionLeaderEpoch")
        #expect(int(bytes, at: 23, as: Int32.self) == 1, "lastOffsetDelta")
        #expect(int(bytes, at: 35, as: Int64.self) == 1_700_000_000_005, "maxTimestamp")
        #expect(int(bytes, at: 57, as: Int32.self) == 2, "recordCount")

        let decoded = try RecordBatch.decode(from: &buffer)
        #expect(buffer.readableBytes == 0)
        #expect(decoded.records == sampleBatch().records)
        var expectedHeader = sampleBatch().header
        expectedHeader.batchLength = Int32(bytes.count - 12)
        expectedHeader.crc = int(bytes, at: 17, as: UInt32.self)
        #expect(decoded.header == expectedHeader)
    }

    /// The CRC must cover the batch's own bytes even when the buffer already holds other data
    /// and its reader index is not at zero.
    @Test func encodingAfterOtherBytesKeepsTheCRCRight() throws {
        var buffer = ByteBuffer(bytes: [1, 2, 3, 4, 5])
        buffer.moveReaderIndex(forwardBy: 2)
        sampleBatch().encode(into: &buffer)
        let batch = Array(buffer.bytes.dropFirst(3))
        #expect(int(batch, at: 17, as: UInt32.self) == referenceCRC32C(batch[21...]))
        buffer.moveReaderIndex(forwardBy: 3)
        #expect(try RecordBatch.decode(from: &buffer).records == sampleBatch().records)
    }

    @Test func encodingAPreEncodedBody() {
        let body = ByteBuffer(bytes: [0xDE, 0xAD, 0xBE, 0xEF, 0x00])
        var batch = sampleBatch()
        batch.header.attributes = Int16(CompressionCodec.zstd.rawValue)
        var buffer = ByteBuffer()
        batch.encode(body: body, into: &buffer)
        let bytes = buffer.bytes
        #expect(bytes.count == 61 + 5)
        #expect(int(bytes, at: 8, as: Int32.self) == 49 + 5)
        #expect(int(bytes, at: 17, as: UInt32.self) == referenceCRC32C(bytes[21...]))
        #expect(Array(bytes[61...]) == body.bytes)
    }

    @Test func batchPrefixesThrow() {
        var buffer = ByteBuffer()
        sampleBatch().encode(into: &buffer)
        let bytes = buffer.bytes
        for length in 0..<bytes.count {
            var prefix = ByteBuffer(bytes: Array(bytes[..<length]))
            #expect(throws: KafkaCodecError.self, "prefix \(length)") { try RecordBatch.decode(from: &prefix) }
        }
    }

    @Test func batchDecodeErrors() {
        var buffer = ByteBuffer()
        sampleBatch().encode(into: &buffer)
        let bytes = buffer.bytes

        var short = ByteBuffer(bytes: Array(bytes[..<60]))
        #expect(throws: KafkaCodecError.truncated(field: "record batch header")) {
            try RecordBatch.decode(from: &short)
        }

        var tooShortLength = ByteBuffer(bytes: bytes)
        tooShortLength.setInteger(Int32(10), at: 8)
        #expect(throws: KafkaCodecError.invalidLength(field: "record batch", length: 22)) {
            try RecordBatch.decode(from: &tooShortLength)
        }

        var compressed = ByteBuffer(bytes: bytes)
        compressed.setInteger(Int16(1), at: 21)
        #expect(throws: KafkaCodecError.invalidLength(field: "compressed record batch", length: bytes.count)) {
            try RecordBatch.decode(from: &compressed)
        }

        // Int32.max records announced, two present: fails at the third, no hang, no allocation.
        var manyRecords = ByteBuffer(bytes: bytes)
        manyRecords.setInteger(Int32.max, at: 57)
        #expect(throws: KafkaCodecError.truncated(field: "varint")) { try RecordBatch.decode(from: &manyRecords) }
    }

    // MARK: - RecordBatchHeader

    /// A header written by hand from the table in brief §4.1.
    private let goldenHeader: [UInt8] = [
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05,  // 0  baseOffset 5
        0x00, 0x00, 0x00, 0x31,  // 8  batchLength 49 (no records)
        0x00, 0x00, 0x00, 0x03,  // 12 partitionLeaderEpoch 3
        0x02,  // 16 magic 2
        0xDE, 0xAD, 0xBE, 0xEF,  // 17 crc
        0x00, 0x13,  // 21 attributes: lz4 (3) | transactional (0x10)
        0x00, 0x00, 0x00, 0x02,  // 23 lastOffsetDelta 2
        0x00, 0x00, 0x01, 0x8B, 0xCF, 0xE5, 0x68, 0x00,  // 27 baseTimestamp
        0x00, 0x00, 0x01, 0x8B, 0xCF, 0xE5, 0x68, 0x10,  // 35 maxTimestamp (+16)
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x07,  // 43 producerId 7
        0x00, 0x01,  // 51 producerEpoch 1
        0x00, 0x00, 0x00, 0x0A,  // 53 baseSequence 10
        0x00, 0x00, 0x00, 0x03,  // 57 recordCount 3
    ]

    @Test func headerParsesGoldenBytes() throws {
        #expect(goldenHeader.count == RecordBatchHeader.size)
        let header = try #require(RecordBatchHeader(from: ByteBuffer(bytes: goldenHeader)))
        let expected = RecordBatchHeader(
            baseOffset: 5, batchLength: 49, partitionLeaderEpoch: 3, magic: 2, crc: 0xDEAD_BEEF, attributes: 0x13,
            lastOffsetDelta: 2, baseTimestamp: 1_700_000_000_000, maxTimestamp: 1_700_000_000_016, producerId: 7,
            producerEpoch: 1, baseSequence: 10, recordCount: 3
        )
        #expect(header == expected)
        #expect(header.totalSize == 61)
        #expect(header.lastOffset == 7)
        #expect(header.nextOffset == 8)
        #expect(header.compression == .lz4)
        #expect(header.isTransactional)
        #expect(!header.isControl)
        #expect(!header.usesLogAppendTime)
        #expect(header.hasProducerId)
        #expect(header.lastSequence == 12)

        var buffer = ByteBuffer()
        header.encode(into: &buffer)
        #expect(buffer.bytes == goldenHeader)
    }

    @Test func headerAttributeBits() {
        func header(_ attributes: Int16) -> RecordBatchHeader { RecordBatchHeader(attributes: attributes) }
        let appendTimeControl = header(0x28)
        #expect(appendTimeControl.usesLogAppendTime && appendTimeControl.isControl)
        #expect(appendTimeControl.compression == CompressionCodec.none)
        #expect(header(0x04).compression == .zstd)
        #expect(header(0x05).compression == nil && header(0x07).compression == nil)
        #expect(!RecordBatchHeader(producerId: -1).hasProducerId && RecordBatchHeader(producerId: 0).hasProducerId)
    }

    @Test func headerNeedsSixtyOneBytesAtTheIndex() throws {
        #expect(RecordBatchHeader(from: ByteBuffer(bytes: Array(goldenHeader[..<60]))) == nil)
        let shifted = ByteBuffer(bytes: [0xAA, 0xBB] + goldenHeader)
        #expect(RecordBatchHeader(from: shifted, at: 2)?.crc == 0xDEAD_BEEF)
        #expect(RecordBatchHeader(from: shifted, at: 3) == nil)
        #expect(RecordBatchHeader(from: shifted, at: -1) == nil)
        var consumed = shifted
        consumed.moveReaderIndex(forwardBy: 2)
        #expect(RecordBatchHeader(from: consumed)?.recordCount == 3)
    }

    private static let sequences: [(Int32, Int32, Int32)] = [
        (0, 0, 0), (5, 4, 9), (Int32.max, 0, Int32.max), (Int32.max, 1, 0), (Int32.max - 1, 3, 1),
        (Int32.max - 4, 4, Int32.max), (Int32.max - 4, 5, 0), (Int32.max, Int32.max, Int32.max - 1),
    ]

    /// Sequence numbers wrap from Int32.max to 0 (Kafka's `DefaultRecordBatch.incrementSequence`).
    @Test(arguments: sequences)
    func lastSequenceWrapsAtInt32Max(_ base: Int32, _ delta: Int32, _ last: Int32) {
        #expect(RecordBatchHeader(lastOffsetDelta: delta, baseSequence: base).lastSequence == last)
    }
}
