public import NIOCore

// Kafka uses two varint families: unsigned LEB128 for the lengths and counts of flexible
// messages (KIP-482), and zig-zag signed varints inside record batches (as protobuf does).

extension ByteBuffer {
    // MARK: - Unsigned

    /// Writes `value` as an unsigned LEB128 varint and returns the number of bytes written.
    @discardableResult
    public mutating func writeUnsignedVarint(_ value: UInt64) -> Int {
        var remaining = value
        var written = 0
        while remaining >= 0x80 {
            written += writeInteger(UInt8(truncatingIfNeeded: remaining) | 0x80)
            remaining >>= 7
        }
        written += writeInteger(UInt8(remaining))
        return written
    }

    /// Reads an unsigned LEB128 varint of at most `maxBytes` bytes; the reader index moves
    /// only when a complete varint was read.
    public mutating func readUnsignedVarint(maxBytes: Int = 10) throws(KafkaCodecError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        var index = readerIndex
        for _ in 0..<maxBytes {
            guard let byte = getInteger(at: index, as: UInt8.self) else {
                throw .truncated(field: "varint")
            }
            index += 1
            result |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 {
                moveReaderIndex(to: index)
                return result
            }
            shift += 7
        }
        throw .malformedVarint
    }

    // MARK: - Zig-zag signed

    /// Writes `value` zig-zag encoded (so small negative numbers stay short).
    @discardableResult
    public mutating func writeVarint(_ value: Int64) -> Int {
        writeUnsignedVarint(UInt64(bitPattern: (value << 1) ^ (value >> 63)))
    }

    /// Writes a 32-bit value zig-zag encoded; the bytes equal those of the 64-bit form.
    @discardableResult
    public mutating func writeVarint(_ value: Int32) -> Int {
        writeVarint(Int64(value))
    }

    /// Reads a zig-zag varlong (at most 10 bytes).
    public mutating func readVarlong() throws(KafkaCodecError) -> Int64 {
        let raw = try readUnsignedVarint(maxBytes: 10)
        return Int64(bitPattern: (raw >> 1) ^ (0 &- (raw & 1)))
    }

    /// Reads a zig-zag varint that must fit in 32 bits (at most 5 bytes).
    public mutating func readVarint() throws(KafkaCodecError) -> Int32 {
        let raw = try readUnsignedVarint(maxBytes: 5)
        guard raw <= UInt64(UInt32.max) else { throw .malformedVarint }
        let decoded = Int64(bitPattern: (raw >> 1) ^ (0 &- (raw & 1)))
        return Int32(truncatingIfNeeded: decoded)
    }

    /// The number of bytes `writeVarint(value)` would produce.
    public static func varintSize(_ value: Int64) -> Int {
        var zigzag = UInt64(bitPattern: (value << 1) ^ (value >> 63))
        var size = 1
        while zigzag >= 0x80 {
            zigzag >>= 7
            size += 1
        }
        return size
    }
}
