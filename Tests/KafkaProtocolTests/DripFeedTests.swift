import KafkaProtocol
import NIOCore
import Testing

/// Messages arriving a byte at a time: every incomplete body must fail cleanly (never crash,
/// never half-consume the buffer), and the complete body must decode to the same value
/// however its bytes were assembled.
@Suite struct DripFeedTests {
    @Test(arguments: APIVersion.advertised)
    func requestPrefixesThrowAndDripFeedDecodes(_ pair: APIVersion) throws {
        try Self.check(requestType(pair.api), pair.version)
    }

    @Test(arguments: APIVersion.advertised)
    func responsePrefixesThrowAndDripFeedDecodes(_ pair: APIVersion) throws {
        try Self.check(responseType(pair.api), pair.version)
    }

    private static func check<M: Sampled>(_: M.Type, _ version: Int16) throws {
        let value = M.sample(At(version))
        let bytes = Wire.encode(value, version: version)

        // Every strict prefix, as a buffer of its own, throws and leaves the reader index alone.
        for length in 0..<bytes.count {
            var prefix = ByteBuffer(bytes: Array(bytes[..<length]))
            #expect(throws: KafkaCodecError.self, "prefix of \(length)/\(bytes.count) bytes") {
                try M.decode(from: &prefix, version: version)
            }
            #expect(prefix.readerIndex == 0)
        }

        // The same bytes appended one at a time to a buffer whose reader index is not at zero
        // (an earlier frame was consumed), trying to decode after each byte.
        var accumulated = ByteBuffer(bytes: [0xEE, 0xEE, 0xEE])
        accumulated.moveReaderIndex(forwardBy: 3)
        for byte in bytes {
            var attempt = accumulated
            #expect(throws: KafkaCodecError.self) { try M.decode(from: &attempt, version: version) }
            #expect(attempt.readerIndex == accumulated.readerIndex)
            var single = ByteBuffer()
            single.writeInteger(byte)
            accumulated.writeBuffer(&single)
        }
        // The start of the next message is already there; decoding must stop before it.
        accumulated.writeBytes([0x42, 0x43])
        let decoded = try M.decode(from: &accumulated, version: version)
        #expect(decoded == value)
        #expect(accumulated.bytes == [0x42, 0x43])
    }

    @Test func requestHeaderThenBodyDripFed() throws {
        let header = RequestHeader(apiKey: 18, apiVersion: 3, correlationId: 77, clientId: "c")
        let body = ApiVersionsRequest.sample(At(3))
        var frame = ByteBuffer()
        header.encode(into: &frame)
        body.encode(into: &frame, version: 3)

        var accumulated = ByteBuffer()
        var headerAloneDecoded = 0
        for byte in frame.bytes {
            var attempt = accumulated
            if let decodedHeader = try? RequestHeader.decode(from: &attempt) {
                // The header alone may complete before the body; the body then must not.
                headerAloneDecoded += 1
                #expect(decodedHeader == header)
                #expect(throws: KafkaCodecError.self) { try ApiVersionsRequest.decode(from: &attempt, version: 3) }
            }
            accumulated.writeInteger(byte)
        }
        #expect(headerAloneDecoded > 0, "the header completes before the body")
        #expect(try RequestHeader.decode(from: &accumulated) == header)
        #expect(try ApiVersionsRequest.decode(from: &accumulated, version: 3) == body)
        #expect(accumulated.readableBytes == 0)
    }
}
