import KafkaProtocol
import NIOCore
import Testing

/// Request header v1 (non-flexible) and v2 (flexible: adds a tag section after client_id,
/// which stays a classic int16 string), and the response header rule.
@Suite struct RequestHeaderTests {
    // Metadata v4, correlation id 7, client "rdkafka": request header v1.
    private let metadataV4: [UInt8] = [
        0x00, 0x03,  // api key 3
        0x00, 0x04,  // api version 4
        0x00, 0x00, 0x00, 0x07,  // correlation id
        0x00, 0x07, 0x72, 0x64, 0x6B, 0x61, 0x66, 0x6B, 0x61,  // client id "rdkafka", int16 length
    ]

    // ApiVersions v3 (flexible), correlation id 1, client "rdkafka": request header v2.
    private let apiVersionsV3: [UInt8] = [
        0x00, 0x12,  // api key 18
        0x00, 0x03,  // api version 3
        0x00, 0x00, 0x00, 0x01,  // correlation id
        0x00, 0x07, 0x72, 0x64, 0x6B, 0x61, 0x66, 0x6B, 0x61,  // client id: still int16 length, not compact
        0x00,  // empty tag section
    ]

    @Test func headerV1GoldenBytes() throws {
        let header = RequestHeader(apiKey: 3, apiVersion: 4, correlationId: 7, clientId: "rdkafka")
        var buffer = ByteBuffer()
        header.encode(into: &buffer)
        #expect(buffer.bytes == metadataV4)

        var golden = ByteBuffer(bytes: metadataV4 + [0xAB])
        #expect(try RequestHeader.decode(from: &golden) == header)
        #expect(golden.bytes == [0xAB], "the body must be left untouched")
        #expect(header.api == .metadata)
    }

    @Test func headerV1NullClientId() throws {
        let header = RequestHeader(apiKey: 0, apiVersion: 7, correlationId: -2, clientId: nil)
        let bytes: [UInt8] = [0x00, 0x00, 0x00, 0x07, 0xFF, 0xFF, 0xFF, 0xFE, 0xFF, 0xFF]
        var buffer = ByteBuffer()
        header.encode(into: &buffer)
        #expect(buffer.bytes == bytes)
        var golden = ByteBuffer(bytes: bytes)
        #expect(try RequestHeader.decode(from: &golden) == header)
        #expect(golden.readableBytes == 0)
    }

    @Test func headerV2GoldenBytes() throws {
        let header = RequestHeader(apiKey: 18, apiVersion: 3, correlationId: 1, clientId: "rdkafka")
        var buffer = ByteBuffer()
        header.encode(into: &buffer)
        #expect(buffer.bytes == apiVersionsV3)

        var golden = ByteBuffer(bytes: apiVersionsV3 + [0x0B])
        #expect(try RequestHeader.decode(from: &golden) == header)
        #expect(golden.bytes == [0x0B])
    }

    /// Only ApiVersions v3 and v4 are flexible among the advertised versions.
    @Test(arguments: APIKey.allCases)
    func tagByteOnlyForFlexibleVersions(_ api: APIKey) {
        for version in api.supportedVersions {
            var buffer = ByteBuffer()
            let header = RequestHeader(apiKey: api.rawValue, apiVersion: version, correlationId: 0, clientId: "c")
            header.encode(into: &buffer)
            let expected = api == .apiVersions && version >= 3 ? 12 : 11
            #expect(buffer.readableBytes == expected, "\(api) v\(version)")
        }
    }

    @Test func headerV2TaggedFieldsAreSkipped() throws {
        let bytes: [UInt8] = [
            0x00, 0x12, 0x00, 0x04, 0x00, 0x00, 0x01, 0x00,  // ApiVersions v4, correlation 256
            0xFF, 0xFF,  // null client id
            0x02,  // two tagged fields
            0x00, 0x03, 0x61, 0x62, 0x63,  // tag 0, 3 bytes
            0x85, 0x01, 0x01, 0x7F,  // tag 133 (two-byte uvarint), 1 byte
            0x42,  // first body byte
        ]
        var buffer = ByteBuffer(bytes: bytes)
        let header = try RequestHeader.decode(from: &buffer)
        #expect(header == RequestHeader(apiKey: 18, apiVersion: 4, correlationId: 256, clientId: nil))
        #expect(buffer.bytes == [0x42])
    }

    @Test func taggedFieldLongerThanTheFrameIsRejected() {
        var buffer = ByteBuffer(bytes: [0x00, 0x12, 0x00, 0x03, 0, 0, 0, 1, 0xFF, 0xFF, 0x01, 0x00, 0x05, 0x61])
        #expect(throws: KafkaCodecError.invalidLength(field: "tagged field", length: 5)) {
            try RequestHeader.decode(from: &buffer)
        }
        #expect(buffer.readerIndex == 0)
    }

    /// An unknown key cannot be flexible as far as the broker knows, so nothing after
    /// client_id is consumed; the caller then refuses the key.
    @Test func unknownAPIKeyReadsNoTagSection() throws {
        var buffer = ByteBuffer(bytes: [0x03, 0xE7, 0x00, 0x09, 0, 0, 0, 5, 0x00, 0x00, 0x00])
        let header = try RequestHeader.decode(from: &buffer)
        #expect(header.api == nil)
        #expect(header.apiKey == 999)
        #expect(header.clientId == "")
        #expect(buffer.bytes == [0x00])
    }

    @Test func everyStrictPrefixThrows() {
        for bytes in [metadataV4, apiVersionsV3] {
            for length in 0..<bytes.count {
                var buffer = ByteBuffer(bytes: Array(bytes[..<length]))
                #expect(throws: KafkaCodecError.self, "prefix \(length)") { try RequestHeader.decode(from: &buffer) }
                #expect(buffer.readerIndex == 0)
            }
        }
    }

    @Test func clientIdLongerThanTheBufferIsRejected() {
        var buffer = ByteBuffer(bytes: [0, 3, 0, 4, 0, 0, 0, 7, 0x7F, 0xFF, 0x61])
        #expect(throws: KafkaCodecError.invalidLength(field: "string", length: Int(Int16.max))) {
            try RequestHeader.decode(from: &buffer)
        }
    }

    @Test func clientIdNegativeLengthOtherThanNullIsRejected() {
        var buffer = ByteBuffer(bytes: [0, 3, 0, 4, 0, 0, 0, 7, 0xFF, 0xFE])
        #expect(throws: KafkaCodecError.invalidLength(field: "string", length: -2)) {
            try RequestHeader.decode(from: &buffer)
        }
    }

    @Test func emptyBufferIsTruncated() {
        var buffer = ByteBuffer()
        #expect(throws: KafkaCodecError.truncated(field: "int16")) { try RequestHeader.decode(from: &buffer) }
    }

    // MARK: - Response header

    /// ApiVersions answers with response header v0 at every version, flexible ones included,
    /// so a client can read it before it knows what the broker speaks.
    @Test(arguments: APIKey.apiVersions.supportedVersions)
    func apiVersionsNeverGetsTheTagByte(_ version: Int16) throws {
        var buffer = ByteBuffer()
        ResponseHeader.encode(correlationId: 0x0102_0304, api: .apiVersions, version: version, into: &buffer)
        #expect(buffer.bytes == [0x01, 0x02, 0x03, 0x04])
        buffer.writeInteger(UInt8(0x99))
        #expect(try ResponseHeader.decode(from: &buffer, api: .apiVersions, version: version) == 0x0102_0304)
        #expect(buffer.bytes == [0x99], "a v0 header must not swallow the body's first byte")
    }

    @Test(arguments: APIKey.allCases)
    func advertisedNonFlexibleVersionsGetNoTagByte(_ api: APIKey) {
        for version in api.supportedVersions {
            var buffer = ByteBuffer()
            ResponseHeader.encode(correlationId: 9, api: api, version: version, into: &buffer)
            #expect(buffer.bytes == [0, 0, 0, 9], "\(api) v\(version)")
        }
    }

    /// Beyond the advertised range, a flexible response of any other API gets header v1.
    @Test func flexibleResponsesOfOtherAPIsGetTheTagByte() throws {
        var buffer = ByteBuffer()
        ResponseHeader.encode(correlationId: 9, api: .metadata, version: 9, into: &buffer)
        #expect(buffer.bytes == [0, 0, 0, 9, 0x00])

        var tagged = ByteBuffer(bytes: [0, 0, 0, 9, 0x01, 0x00, 0x02, 0xAA, 0xBB, 0x77])
        #expect(try ResponseHeader.decode(from: &tagged, api: .fetch, version: 12) == 9)
        #expect(tagged.bytes == [0x77])
    }

    @Test func truncatedResponseHeaderThrows() {
        var buffer = ByteBuffer(bytes: [0, 0, 0])
        #expect(throws: KafkaCodecError.truncated(field: "correlation id")) {
            try ResponseHeader.decode(from: &buffer, api: .produce, version: 7)
        }
        var missingTags = ByteBuffer(bytes: [0, 0, 0, 1])
        #expect(throws: KafkaCodecError.truncated(field: "varint")) {
            try ResponseHeader.decode(from: &missingTags, api: .metadata, version: 9)
        }
    }
}
