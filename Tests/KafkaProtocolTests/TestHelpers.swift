import KafkaProtocol
import NIOCore
import Testing

// Small helpers shared by the suites: building buffers from literal bytes, and driving a
// message through encode/decode without repeating the buffer plumbing in every test.

extension ByteBuffer {
    /// A buffer holding exactly `bytes`.
    init(bytes: [UInt8]) {
        self.init()
        writeBytes(bytes)
    }

    /// The readable bytes, for comparing with literal arrays.
    var bytes: [UInt8] { Array(readableBytesView) }
}

/// Big-endian bytes of fixed-width integers, so golden byte arrays can be written as
/// `be(Int32(7))` instead of `0, 0, 0, 7` where that reads better.
func be<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
    withUnsafeBytes(of: value.bigEndian) { Array($0) }
}

/// A classic (int16-length) string.
func str(_ s: String) -> [UInt8] { be(Int16(s.utf8.count)) + Array(s.utf8) }

/// A compact (uvarint N+1) string, for lengths under 127.
func cstr(_ s: String) -> [UInt8] {
    precondition(s.utf8.count < 127)
    return [UInt8(s.utf8.count + 1)] + Array(s.utf8)
}

/// Classic int32 length-prefixed bytes.
func byt(_ b: [UInt8]) -> [UInt8] { be(Int32(b.count)) + b }

enum Wire {
    /// The body of `message` encoded at `version`.
    static func encode<M: KafkaMessage>(_ message: M, version: Int16) -> [UInt8] {
        var buffer = ByteBuffer()
        message.encode(into: &buffer, version: version)
        return buffer.bytes
    }

    /// Decodes `bytes` at `version` and requires that every byte was consumed.
    static func decode<M: KafkaMessage>(
        _: M.Type, _ bytes: [UInt8], version: Int16
    ) throws(KafkaCodecError) -> M {
        var buffer = ByteBuffer(bytes: bytes)
        let value = try M.decode(from: &buffer, version: version)
        guard buffer.readableBytes == 0 else { throw .trailingBytes(count: buffer.readableBytes) }
        return value
    }
}

/// CRC-32C computed one bit at a time straight from the definition (reflected polynomial
/// 0x82F63B78, initial and final XOR 0xFFFFFFFF). Slow, but too simple to share a bug with
/// the table-driven or hardware paths it checks.
func referenceCRC32C(_ bytes: some Sequence<UInt8>) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    for byte in bytes {
        crc ^= UInt32(byte)
        for _ in 0..<8 {
            crc = crc & 1 == 1 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1
        }
    }
    return ~crc
}

/// Encoding `value` at `version` gives exactly the concatenated `parts`, and decoding those
/// bytes gives `value` back, consuming every byte. (Parts are variadic rather than joined with
/// `+`, which keeps long golden literals cheap to type-check.)
func expectGolden<M: KafkaMessage>(
    _ value: M, version: Int16, _ parts: [UInt8]..., sourceLocation: SourceLocation = #_sourceLocation
) throws {
    let bytes = parts.flatMap { $0 }
    let encoded = Wire.encode(value, version: version)
    #expect(encoded == bytes, "encoded \(hex(encoded))\nexpected \(hex(bytes))", sourceLocation: sourceLocation)
    let decoded = try Wire.decode(M.self, bytes, version: version)
    #expect(decoded == value, sourceLocation: sourceLocation)
}

func hex(_ bytes: [UInt8]) -> String {
    bytes.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }
        .joined(separator: " ")
}
