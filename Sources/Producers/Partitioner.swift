/// Kafka's default partitioner for keyed records (murmur2 of the key bytes, made positive,
/// modulo the partition count), as the Java client and librdkafka's `murmur2_random` do.
///
/// The chat computes partitions itself so that records about one user in different topics
/// (inbox, device cursors, presence) land in partitions with the same number, which one
/// gateway node owns together.
public enum Partitioner {
    public static func partition(for key: String, count: Int32) -> Int32 {
        Int32((murmur2(Array(key.utf8)) & 0x7FFF_FFFF) % UInt32(count))
    }

    /// murmur2 with Kafka's seed, over little-endian 4-byte words.
    public static func murmur2(_ data: [UInt8]) -> UInt32 {
        let seed: UInt32 = 0x9747_B28C
        let m: UInt32 = 0x5BD1_E995
        let r: UInt32 = 24
        let length = data.count
        var h = seed ^ UInt32(truncatingIfNeeded: length)
        let words = length / 4
        for index in 0..<words {
            let base = index * 4
            var k = UInt32(data[base]) | UInt32(data[base + 1]) << 8 | UInt32(data[base + 2]) << 16 | UInt32(data[base + 3]) << 24
            k = k &* m
            k ^= k >> r
            k = k &* m
            h = h &* m
            h ^= k
        }
        let tail = words * 4
        switch length % 4 {
        case 3:
            h ^= UInt32(data[tail + 2]) << 16
            fallthrough
        case 2:
            h ^= UInt32(data[tail + 1]) << 8
            fallthrough
        case 1:
            h ^= UInt32(data[tail])
            h = h &* m
        default:
            break
        }
        h ^= h >> 13
        h = h &* m
        h ^= h >> 15
        return h
    }
}
