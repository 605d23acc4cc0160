import KafkaProtocol
import Testing
import TestSupport

/// CRC-32C, checked against published vectors and a bit-by-bit reference. Both public entry
/// points are covered: `checksum` (hardware where the CPU has it) and `softwareChecksum`.
@Suite struct CRC32CTests {
    /// Calls `body` with each implementation under test.
    private static func eachImplementation(
        _ body: ((UnsafeRawBufferPointer, UInt32) -> UInt32, String) throws -> Void
    ) rethrows {
        try body({ CRC32C.checksum($0, continuing: $1) }, "checksum")
        try body({ CRC32C.softwareChecksum($0, continuing: $1) }, "softwareChecksum")
    }

    @Test func standardCheckValue() {
        let input = Array("123456789".utf8)
        #expect(CRC32C.checksum(input) == 0xE306_9283)
        #expect(referenceCRC32C(input) == 0xE306_9283)
        Self.eachImplementation { crc, name in
            let value = input.withUnsafeBytes { crc($0, 0) }
            #expect(value == 0xE306_9283, "\(name)")
        }
    }

    @Test func emptyInputIsZero() {
        #expect(CRC32C.checksum([UInt8]()) == 0)
        Self.eachImplementation { crc, name in
            #expect(crc(UnsafeRawBufferPointer(start: nil, count: 0), 0) == 0, "\(name)")
            // An empty continuation leaves the running value alone.
            #expect(crc(UnsafeRawBufferPointer(start: nil, count: 0), 0x1234_5678) == 0x1234_5678, "\(name)")
        }
    }

    /// RFC 3720 (iSCSI) appendix B.4 test vectors.
    private static let iscsiVectors: [([UInt8], UInt32)] = [
        ([UInt8](repeating: 0x00, count: 32), 0x8A91_36AA),
        ([UInt8](repeating: 0xFF, count: 32), 0x62A8_AB43),
        ((0..<32).map { UInt8($0) }, 0x46DD_794E),
        ((0..<32).map { UInt8(31 - $0) }, 0x113F_DB5C),
    ]

    @Test(arguments: iscsiVectors)
    func iscsiVector(_ input: [UInt8], _ expected: UInt32) {
        #expect(referenceCRC32C(input) == expected)
        Self.eachImplementation { crc, name in
            #expect(input.withUnsafeBytes { crc($0, 0) } == expected, "\(name)")
        }
    }

    @Test func continuingComposesLikeOneShot() {
        var random = SplitMix64(seed: 0xC4C3_2C)
        let input = random.bytes(count: 100)
        let oneShot = referenceCRC32C(input)
        Self.eachImplementation { crc, name in
            input.withUnsafeBytes { all in
                for split in [0, 1, 7, 8, 9, 33, 64, 99, 100] {
                    let head = crc(UnsafeRawBufferPointer(rebasing: all[..<split]), 0)
                    let whole = crc(UnsafeRawBufferPointer(rebasing: all[split...]), head)
                    #expect(whole == oneShot, "\(name) split at \(split)")
                }
                // Many small pieces, too.
                var running: UInt32 = 0
                for start in stride(from: 0, to: all.count, by: 3) {
                    running = crc(UnsafeRawBufferPointer(rebasing: all[start..<min(start + 3, all.count)]), running)
                }
                #expect(running == oneShot, "\(name) in 3-byte pieces")
            }
        }
    }

    /// The slicing-by-8 loop handles 8 bytes at a time and the rest byte by byte; every length
    /// from 0 to 40 at every start alignment crosses both paths and their boundary.
    @Test(arguments: 0...40)
    func everyLengthAndAlignmentMatchesTheReference(_ length: Int) {
        var random = SplitMix64(seed: UInt64(length) &* 0x9E37)
        let storage = random.bytes(count: 48)
        storage.withUnsafeBytes { all in
            for offset in 0..<8 {
                let slice = UnsafeRawBufferPointer(rebasing: all[offset..<offset + length])
                let expected = referenceCRC32C(slice)
                #expect(CRC32C.softwareChecksum(slice) == expected, "offset \(offset)")
                #expect(CRC32C.checksum(slice) == expected, "offset \(offset)")
            }
        }
    }

    @Test func sequenceOverloadMatchesBufferOverload() {
        var random = SplitMix64(seed: 42)
        let input = random.bytes(count: 1000)
        let expected = referenceCRC32C(input)
        #expect(CRC32C.checksum(input) == expected)
        #expect(CRC32C.checksum(input[100...]) == referenceCRC32C(input[100...]))
        #expect(input.withUnsafeBytes { CRC32C.softwareChecksum($0) } == expected)
    }
}
