import KafkaProtocol
import NIOCore
import Testing

/// Both varint families: unsigned LEB128 (flexible-version lengths) and zig-zag (records).
@Suite struct VarintTests {
    // MARK: - Round trips

    @Test(arguments: [
        UInt64(0), 1, 63, 64, 127, 128, 8191, 8192, 16383, 16384,
        UInt64(Int32.max), UInt64(UInt32.max), UInt64(Int64.max), UInt64.max,
    ])
    func unsignedRoundTrip(_ value: UInt64) throws {
        var buffer = ByteBuffer()
        let written = buffer.writeUnsignedVarint(value)
        #expect(written == buffer.readableBytes)
        #expect(try buffer.readUnsignedVarint() == value)
        #expect(buffer.readableBytes == 0)
    }

    @Test(arguments: [
        Int64(0), 1, -1, 63, -64, 64, -65, 127, 128, 8191, 8192, -8192, -8193,
        Int64(Int32.min), Int64(Int32.max), Int64.min, Int64.max,
    ])
    func zigZagVarlongRoundTrip(_ value: Int64) throws {
        var buffer = ByteBuffer()
        let written = buffer.writeVarint(value)
        #expect(written == buffer.readableBytes)
        #expect(written == ByteBuffer.varintSize(value))
        #expect(try buffer.readVarlong() == value)
        #expect(buffer.readableBytes == 0)
    }

    @Test(arguments: [Int32(0), 1, -1, 63, -64, 64, 127, 128, 8191, 8192, -8192, Int32.min, Int32.max])
    func zigZagVarintRoundTrip(_ value: Int32) throws {
        var buffer = ByteBuffer()
        let written = buffer.writeVarint(value)
        #expect(written == buffer.readableBytes)
        #expect(written <= 5)
        #expect(try buffer.readVarint() == value)
        #expect(buffer.readableBytes == 0)
    }

    // MARK: - Golden bytes

    /// Zig-zag maps 0, -1, 1, -2, ... to 0, 1, 2, 3, ...; then LEB128, low groups first.
    private static let zigZagGolden: [(Int64, [UInt8])] = [
        (0, [0x00]),
        (1, [0x02]),
        (-1, [0x01]),
        (63, [0x7E]),
        (-64, [0x7F]),
        (64, [0x80, 0x01]),
        (8191, [0xFE, 0x7F]),
        (-8192, [0xFF, 0x7F]),
        (8192, [0x80, 0x80, 0x01]),
        (Int64(Int32.max), [0xFE, 0xFF, 0xFF, 0xFF, 0x0F]),
        (Int64(Int32.min), [0xFF, 0xFF, 0xFF, 0xFF, 0x0F]),
        (Int64.max, [0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]),
        (Int64.min, [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]),
    ]

    @Test(arguments: zigZagGolden)
    func zigZagGoldenBytes(_ value: Int64, _ bytes: [UInt8]) throws {
        var buffer = ByteBuffer()
        buffer.writeVarint(value)
        #expect(buffer.bytes == bytes)
        var golden = ByteBuffer(bytes: bytes)
        #expect(try golden.readVarlong() == value)
        // The 32-bit writer must produce the same bytes as the 64-bit one for values it can hold.
        if let narrow = Int32(exactly: value) {
            var narrowBuffer = ByteBuffer()
            narrowBuffer.writeVarint(narrow)
            #expect(narrowBuffer.bytes == bytes)
            var golden32 = ByteBuffer(bytes: bytes)
            #expect(try golden32.readVarint() == narrow)
        }
    }

    private static let unsignedGolden: [(UInt64, [UInt8])] = [
        (0, [0x00]),
        (1, [0x01]),
        (127, [0x7F]),
        (128, [0x80, 0x01]),
        (300, [0xAC, 0x02]),
        (16384, [0x80, 0x80, 0x01]),
        (UInt64(UInt32.max), [0xFF, 0xFF, 0xFF, 0xFF, 0x0F]),
        (UInt64.max, [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]),
    ]

    @Test(arguments: unsignedGolden)
    func unsignedGoldenBytes(_ value: UInt64, _ bytes: [UInt8]) throws {
        var buffer = ByteBuffer()
        buffer.writeUnsignedVarint(value)
        #expect(buffer.bytes == bytes)
        var golden = ByteBuffer(bytes: bytes)
        #expect(try golden.readUnsignedVarint() == value)
    }

    @Test func readingStopsAtTheFirstByteWithoutContinuationBit() throws {
        var buffer = ByteBuffer(bytes: [0xAC, 0x02, 0x05, 0x7F])
        #expect(try buffer.readUnsignedVarint() == 300)
        #expect(try buffer.readUnsignedVarint() == 5)
        #expect(buffer.bytes == [0x7F])
    }

    // MARK: - Malformed and truncated input

    @Test func unsignedWithMoreThanTenBytesIsMalformed() {
        // Ten continuation bytes: the 10-byte limit is reached before any terminator.
        var buffer = ByteBuffer(bytes: Array(repeating: 0x80, count: 10) + [0x00])
        #expect(throws: KafkaCodecError.malformedVarint) { try buffer.readUnsignedVarint() }
        #expect(buffer.readerIndex == 0)
    }

    @Test func unsignedRespectsASmallerLimit() throws {
        var buffer = ByteBuffer(bytes: [0x80, 0x80, 0x80, 0x80, 0x80, 0x00])
        #expect(throws: KafkaCodecError.malformedVarint) { try buffer.readUnsignedVarint(maxBytes: 5) }
        #expect(try buffer.readUnsignedVarint(maxBytes: 6) == 0)
    }

    @Test func varintWithMoreThanFiveBytesIsMalformed() {
        var buffer = ByteBuffer(bytes: [0x80, 0x80, 0x80, 0x80, 0x80, 0x00])
        #expect(throws: KafkaCodecError.malformedVarint) { try buffer.readVarint() }
        #expect(buffer.readerIndex == 0)
    }

    @Test func fiveByteVarintBeyondThirtyTwoBitsIsMalformed() {
        // 0xFF 0xFF 0xFF 0xFF 0x1F holds 2^33 - 1, which no int32 zig-zag value encodes to.
        var buffer = ByteBuffer(bytes: [0xFF, 0xFF, 0xFF, 0xFF, 0x1F])
        #expect(throws: KafkaCodecError.malformedVarint) { try buffer.readVarint() }
    }

    @Test func varlongWithMoreThanTenBytesIsMalformed() {
        var buffer = ByteBuffer(bytes: Array(repeating: 0xFF, count: 10) + [0x01])
        #expect(throws: KafkaCodecError.malformedVarint) { try buffer.readVarlong() }
    }

    private static let truncatedInputs: [[UInt8]] = [[], [0x80], [0xFF, 0xFF], [0x80, 0x80, 0x80, 0x80]]

    @Test(arguments: truncatedInputs)
    func truncatedInputThrowsAndLeavesTheReaderIndex(_ bytes: [UInt8]) {
        var unsigned = ByteBuffer(bytes: bytes)
        #expect(throws: KafkaCodecError.truncated(field: "varint")) { try unsigned.readUnsignedVarint() }
        #expect(unsigned.readerIndex == 0)
        var signed = ByteBuffer(bytes: bytes)
        #expect(throws: KafkaCodecError.truncated(field: "varint")) { try signed.readVarint() }
        var long = ByteBuffer(bytes: bytes)
        #expect(throws: KafkaCodecError.truncated(field: "varint")) { try long.readVarlong() }
        #expect(long.readerIndex == 0)
    }
}
