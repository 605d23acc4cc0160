import KafkaProtocol
import NIOCore
import Testing
import TestSupport

/// Hostile input: seeded random and mutated bytes must only ever produce a value or a
/// KafkaCodecError (typed throws guarantee the error type; these tests guard against traps,
/// hangs and huge allocations), and whatever decodes must survive a re-encode unchanged.
///
/// Nearly every random buffer throws, and throwing is slow in a debug build under the test
/// runner, so the counts trade coverage against run time: 5,000 buffers per version for
/// requests, which the broker decodes from the network, fewer for responses. (With 20,000 the
/// request cases took 20 s of CPU on two cores that the whole suite shares, and tests that wait
/// for brokers in this process timed out.) The mutations below reach deeper than noise does.
///
/// The loops yield every few hundred decodes: the tests run in parallel on the concurrency
/// pool's two threads, and a case that never suspends holds one of them until it ends, while
/// the brokers other tests run in this process wait for a thread to answer their clients.
@Suite(.timeLimit(.minutes(5))) struct DecoderRobustnessTests {
    static let buffers = 5_000

    /// `count` buffers of 0-256 bytes. Half are uniform noise; in the other half each byte is
    /// 0x00 with probability 1/2 and 0xFF with 1/8, so that lengths and counts are often 0, -1
    /// or small and decoding gets further in.
    static func randomBuffers(seed: UInt64, count: Int = buffers) -> [ByteBuffer] {
        var random = SplitMix64(seed: seed)
        return (0..<count).map { index in
            let length = Int(random.next() % 257)
            var bytes = random.bytes(count: length)
            if index.isMultiple(of: 2) {
                let mask = random.bytes(count: length)
                for i in bytes.indices {
                    switch mask[i] & 7 {
                    case 0...3: bytes[i] = 0x00
                    case 4: bytes[i] = 0xFF
                    default: break
                    }
                }
            }
            return ByteBuffer(bytes: bytes)
        }
    }

    /// One set for every request type, generated once.
    static let requestBuffers = randomBuffers(seed: 0x5245_5100)
    static let responseBuffers = randomBuffers(seed: 0x5245_5300, count: 2_000)

    @Test func requestHeaderSurvivesRandomBytes() async throws {
        var decoded = 0
        for (index, original) in Self.randomBuffers(seed: 0x4845_4144).enumerated() {
            if index.isMultiple(of: Self.yieldInterval) { await Task.yield() }
            var buffer = original
            guard let header = try? RequestHeader.decode(from: &buffer) else {
                #expect(buffer.readerIndex == original.readerIndex, "a failed decode must not consume")
                continue
            }
            decoded += 1
            var again = ByteBuffer()
            header.encode(into: &again)
            #expect(try RequestHeader.decode(from: &again) == header)
        }
        // The biased half makes short client ids common, so some headers must decode.
        #expect(decoded > 100)
    }

    @Test(arguments: APIKey.allCases)
    func requestsSurviveRandomBytes(_ api: APIKey) async {
        await Self.decodeAll(requestType(api), versions: api.supportedVersions, Self.requestBuffers)
    }

    @Test(arguments: APIKey.allCases)
    func responsesSurviveRandomBytes(_ api: APIKey) async {
        await Self.decodeAll(responseType(api), versions: api.supportedVersions, Self.responseBuffers)
    }

    /// Valid messages with a few bytes changed reach much deeper than noise does.
    @Test(arguments: APIVersion.advertised)
    func mutatedRequestsSurvive(_ pair: APIVersion) async {
        await Self.mutate(requestType(pair.api), pair.version, seed: UInt64(pair.api.rawValue) << 8 | UInt64(pair.version))
    }

    @Test(arguments: APIVersion.advertised)
    func mutatedResponsesSurvive(_ pair: APIVersion) async {
        let seed = 0xF00 + (UInt64(pair.api.rawValue) << 8 | UInt64(pair.version))
        await Self.mutate(responseType(pair.api), pair.version, seed: seed)
    }

    private static func decodeAll<M: Sampled>(_: M.Type, versions: ClosedRange<Int16>, _ buffers: [ByteBuffer]) async {
        var problems: [String] = []
        var decoded = 0
        for version in versions {
            for (index, original) in buffers.enumerated() {
                if index.isMultiple(of: yieldInterval) { await Task.yield() }
                if let problem = decodeOne(M.self, original, version: version, decoded: &decoded) {
                    problems.append(problem)
                }
            }
        }
        #expect(problems.isEmpty, "\(problems.count) problems, first: \(problems.prefix(3))")
    }

    private static func mutate<M: Sampled>(_: M.Type, _ version: Int16, seed: UInt64) async {
        var random = SplitMix64(seed: seed)
        var problems: [String] = []
        var decoded = 0
        let valid = Wire.encode(M.sample(At(version)), version: version)
        guard !valid.isEmpty else { return }
        for index in 0..<500 {
            if index.isMultiple(of: yieldInterval) { await Task.yield() }
            var bytes = valid
            for _ in 0...(random.next() % 3) {
                let at = Int(random.next() % UInt64(bytes.count))
                switch random.next() % 5 {
                case 0: bytes[at] = UInt8(truncatingIfNeeded: random.next())
                case 1: bytes[at] = [0x00, 0x7F, 0x80, 0xFF][Int(random.next() % 4)]
                case 2: bytes[at] ^= 1 << (random.next() % 8)
                case 3: bytes.removeSubrange(at...)
                default: bytes.insert(UInt8(truncatingIfNeeded: random.next()), at: at)
                }
                if bytes.isEmpty { break }
            }
            if let problem = decodeOne(M.self, ByteBuffer(bytes: bytes), version: version, decoded: &decoded) {
                problems.append(problem)
            }
        }
        #expect(problems.isEmpty, "\(problems.count) problems, first: \(problems.prefix(3))")
        // Mutations that only change a value keep the message decodable, so the re-encode
        // check above must have had something to check.
        #expect(decoded > 0)
    }

    /// Decodes between yields to the other tests.
    private static let yieldInterval = 250

    /// Decodes `original`; a failure must leave the buffer as it was, and a success must
    /// re-encode to bytes that decode to the same value. Returns what went wrong, if anything.
    /// (Problems are collected and reported once per test, so a systematic fault gives one
    /// readable issue rather than thousands.) `decoded` counts the inputs that decoded.
    private static func decodeOne<M: Sampled>(
        _: M.Type, _ original: ByteBuffer, version: Int16, decoded: inout Int
    ) -> String? {
        var buffer = original
        let value: M
        do {
            value = try M.decode(from: &buffer, version: version)
        } catch {
            let consumed = buffer.readerIndex != original.readerIndex
            return consumed ? "v\(version) \(original.bytes): consumed bytes, then \(error)" : nil
        }
        decoded += 1
        do {
            let again = try Wire.decode(M.self, Wire.encode(value, version: version), version: version)
            return again == value ? nil : "v\(version) \(original.bytes): re-encoding changed \(value) to \(again)"
        } catch {
            return "v\(version) \(original.bytes): re-encoding \(value) failed: \(error)"
        }
    }
}

/// Lengths and counts far beyond the frame must be refused before anything is allocated.
@Suite struct HugeLengthTests {
    private static let int32Max: [UInt8] = [0x7F, 0xFF, 0xFF, 0xFF]

    private func decode<M: KafkaMessage>(_: M.Type, _ bytes: [UInt8], version: Int16) throws(KafkaCodecError) {
        var buffer = ByteBuffer(bytes: bytes)
        _ = try M.decode(from: &buffer, version: version)
    }

    @Test func arrayCount() {
        #expect(throws: KafkaCodecError.invalidLength(field: "array", length: Int(Int32.max))) {
            try decode(MetadataRequest.self, Self.int32Max + [0x01], version: 4)
        }
        #expect(throws: KafkaCodecError.invalidLength(field: "array", length: -2)) {
            try decode(MetadataRequest.self, [0xFF, 0xFF, 0xFF, 0xFE, 0x01], version: 4)
        }
    }

    @Test func stringArrayAndInt32ArrayCounts() {
        #expect(throws: KafkaCodecError.invalidLength(field: "string array", length: Int(Int32.max))) {
            try decode(DeleteTopicsRequest.self, Self.int32Max + [0, 0, 0, 0], version: 1)
        }
        #expect(throws: KafkaCodecError.invalidLength(field: "int32 array", length: Int(Int32.max))) {
            try decode(OffsetFetchRequest.self, str("g") + [0, 0, 0, 1] + str("t") + Self.int32Max, version: 2)
        }
    }

    @Test func bytesAndStringLengths() {
        // Null transactional id, acks -1, timeout, one topic "t", one partition 0, then the records length.
        let produce: [UInt8] = [
            0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0x75, 0x30, 0, 0, 0, 1, 0, 1, 0x74, 0, 0, 0, 1, 0, 0, 0, 0,
        ]
        #expect(throws: KafkaCodecError.invalidLength(field: "bytes", length: Int(Int32.max))) {
            try decode(ProduceRequest.self, produce + Self.int32Max, version: 3)
        }
        #expect(throws: KafkaCodecError.invalidLength(field: "string", length: Int(Int16.max))) {
            try decode(FindCoordinatorRequest.self, [0x7F, 0xFF, 0x61], version: 0)
        }
    }

    @Test func compactLengthsAndTags() {
        // Compact string length uvarint 2^32 - 1, i.e. N = 2^32 - 2.
        #expect(throws: KafkaCodecError.invalidLength(field: "string", length: 4_294_967_294)) {
            try decode(ApiVersionsRequest.self, [0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x61], version: 3)
        }
        // A length varint longer than the 5 bytes an int32 can need.
        #expect(throws: KafkaCodecError.malformedVarint) {
            try decode(ApiVersionsRequest.self, [0x80, 0x80, 0x80, 0x80, 0x80, 0x01], version: 3)
        }
        // A tagged field claiming 2^28 bytes.
        #expect(throws: KafkaCodecError.invalidLength(field: "tagged field", length: 1 << 28)) {
            try decode(ApiVersionsRequest.self, [0x02, 0x61, 0x02, 0x62, 0x01, 0x00, 0x80, 0x80, 0x80, 0x80, 0x01],
                       version: 3)
        }
        // 2^32 - 1 tagged fields: each must still be read, so the loop ends at the buffer's end.
        #expect(throws: KafkaCodecError.truncated(field: "varint")) {
            try decode(ApiVersionsRequest.self, [0x01, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x00, 0x00], version: 3)
        }
    }

    @Test func recordLengthsAndCounts() {
        var record = ByteBuffer(bytes: [0xFE, 0xFF, 0xFF, 0xFF, 0x0F, 0x00])  // length Int32.max
        #expect(throws: KafkaCodecError.invalidLength(field: "record", length: Int(Int32.max))) {
            try Record.decode(from: &record)
        }
        // attributes, timestampDelta, offsetDelta, null key, null value, then Int32.max headers.
        var headers = ByteBuffer(bytes: [0x14, 0x00, 0x00, 0x00, 0x01, 0x01, 0xFE, 0xFF, 0xFF, 0xFF, 0x0F])
        #expect(throws: KafkaCodecError.invalidLength(field: "record headers", length: Int(Int32.max))) {
            try Record.decode(from: &headers)
        }
    }
}
