import KafkaProtocol
import NIOCore
import Testing

/// Response bodies written byte by byte from the layouts in kafka-broker-brief.md §2.3–2.4 and
/// §3, never produced by the encoder. Each must encode to exactly these bytes and decode back.
@Suite struct GoldenResponseBytesTests {
    private let apiVersionsEntries = [
        ApiVersionsResponse.Version(apiKey: 0, minVersion: 0, maxVersion: 7),
        ApiVersionsResponse.Version(apiKey: 18, minVersion: 0, maxVersion: 4),
    ]

    @Test func apiVersionsResponseV0HasNoTagBytes() throws {
        let response = ApiVersionsResponse(errorCode: .none, apiKeys: apiVersionsEntries)
        let bytes: [UInt8] = [
            0x00, 0x00,  // errorCode
            0x00, 0x00, 0x00, 0x02,  // int32 array count
            0x00, 0x00, 0x00, 0x00, 0x00, 0x07,  // Produce 0-7
            0x00, 0x12, 0x00, 0x00, 0x00, 0x04,  // ApiVersions 0-4
        ]  // no throttleTimeMs before v1, no tags
        try expectGolden(response, version: 0, bytes)
        #expect(Wire.encode(response, version: 0).count == 2 + 4 + 2 * 6)
    }

    @Test func apiVersionsResponseV3HasOneTagBytePerElementAndBody() throws {
        var response = ApiVersionsResponse(errorCode: .none, apiKeys: apiVersionsEntries)
        response.throttleTimeMs = 5
        let bytes: [UInt8] = [
            0x00, 0x00,  // errorCode
            0x03,  // compact array: N+1
            0x00, 0x00, 0x00, 0x00, 0x00, 0x07, 0x00,  // Produce 0-7, empty tags
            0x00, 0x12, 0x00, 0x00, 0x00, 0x04, 0x00,  // ApiVersions 0-4, empty tags
            0x00, 0x00, 0x00, 0x05,  // throttleTimeMs
            0x00,  // body tags: empty, never SupportedFeatures & co. (brief §7.2)
        ]
        try expectGolden(response, version: 3, bytes)

        // The same, checked structurally: each 7-byte element ends in exactly one 0x00, and
        // the body ends in exactly one 0x00 after the throttle time.
        let encoded = Wire.encode(response, version: 3)
        #expect(encoded.count == 2 + 1 + 2 * 7 + 4 + 1)
        for element in 0..<2 { #expect(encoded[3 + element * 7 + 6] == 0x00) }
        #expect(Array(encoded.suffix(5)) == [0x00, 0x00, 0x00, 0x05, 0x00])
    }

    /// v4's body is v3's.
    @Test func apiVersionsResponseV4EqualsV3() {
        let supported = ApiVersionsResponse.supported
        #expect(Wire.encode(supported, version: 4) == Wire.encode(supported, version: 3))
        #expect(Wire.encode(supported, version: 3).count == 2 + 1 + APIKey.allCases.count * 7 + 4 + 1)
    }

    @Test func metadataResponseV0() throws {
        let response = MetadataResponse(
            brokers: [.init(nodeId: 0, host: "localhost", port: 9092)], clusterId: nil, controllerId: -1,
            topics: [.init(name: "t", partitions: [.init(partitionIndex: 0, leader: 0)])]
        )
        try expectGolden(response, version: 0, [
            0x00, 0x00, 0x00, 0x01,  // brokers
            0x00, 0x00, 0x00, 0x00,  // nodeId 0
        ], str("localhost"), [
            0x00, 0x00, 0x23, 0x84,  // port 9092; no rack, clusterId or controllerId in v0
            0x00, 0x00, 0x00, 0x01,  // topics
            0x00, 0x00,  // errorCode
        ], str("t"), [  // no isInternal in v0
            0x00, 0x00, 0x00, 0x01,  // partitions
            0x00, 0x00,  // errorCode
            0x00, 0x00, 0x00, 0x00,  // partitionIndex
            0x00, 0x00, 0x00, 0x00,  // leaderId
            0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,  // replicaNodes [0]
            0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,  // isrNodes [0]; no offlineReplicas before v5
        ])
    }

    @Test func metadataResponseV6() throws {
        var broker = MetadataResponse.Broker(nodeId: 0, host: "localhost", port: 9092)
        broker.rack = "r1"
        var response = MetadataResponse(brokers: [broker], clusterId: "chat", controllerId: 0, topics: [
            .init(name: "t", partitions: [.init(partitionIndex: 2, leader: 0)]),
            .init(errorCode: .unknownTopicOrPartition, name: "u"),
        ])
        response.throttleTimeMs = 3
        try expectGolden(response, version: 6, [
            0x00, 0x00, 0x00, 0x03,  // throttleTimeMs first (v3+)
            0x00, 0x00, 0x00, 0x01,
            0x00, 0x00, 0x00, 0x00,
        ], str("localhost"), [0x00, 0x00, 0x23, 0x84], str("r1"),  // rack (v1+)
        str("chat"), [  // clusterId (v2+)
            0x00, 0x00, 0x00, 0x00,  // controllerId (v1+)
            0x00, 0x00, 0x00, 0x02,  // topics
            0x00, 0x00,
        ], str("t"), [
            0x00,  // isInternal (v1+)
            0x00, 0x00, 0x00, 0x01,
            0x00, 0x00,
            0x00, 0x00, 0x00, 0x02,  // partitionIndex 2
            0x00, 0x00, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00,  // offlineReplicas [] (v5+)
            0x00, 0x03,  // second topic: UNKNOWN_TOPIC_OR_PARTITION
        ], str("u"), [0x00, 0x00, 0x00, 0x00, 0x00])
    }

    @Test func produceResponseV7PutsThrottleLast() throws {
        var response = ProduceResponse(topics: [
            .init(name: "t", partitions: [.init(index: 0, errorCode: .none, baseOffset: 42, logStartOffset: 0)]),
        ])
        response.throttleTimeMs = 7
        try expectGolden(response, version: 7, [0x00, 0x00, 0x00, 0x01], str("t"), [
            0x00, 0x00, 0x00, 0x01,
            0x00, 0x00, 0x00, 0x00,  // index
            0x00, 0x00,  // errorCode
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x2A,  // baseOffset 42
            0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,  // logAppendTimeMs -1 (v2+)
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // logStartOffset 0 (v5+)
            0x00, 0x00, 0x00, 0x07,  // throttleTimeMs at the end (v1+)
        ])
    }

    @Test func fetchResponseV11RecordsAreNeverNull() throws {
        let response = FetchResponse(topics: [
            .init(topic: "t", partitions: [
                .init(partitionIndex: 0, errorCode: .none, highWatermark: 3, logStartOffset: 0,
                      records: ByteBuffer(bytes: [0xAA, 0xBB])),
                .init(partitionIndex: 1, errorCode: .offsetOutOfRange, highWatermark: 0, logStartOffset: 0),
            ]),
        ])
        try expectGolden(response, version: 11, [
            0x00, 0x00, 0x00, 0x00,  // throttleTimeMs
            0x00, 0x00,  // errorCode (v7+)
            0x00, 0x00, 0x00, 0x00,  // sessionId (v7+)
            0x00, 0x00, 0x00, 0x01,
        ], str("t"), [
            0x00, 0x00, 0x00, 0x02,
            0x00, 0x00, 0x00, 0x00,  // partition 0
            0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03,  // highWatermark 3
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03,  // lastStableOffset = highWatermark
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // logStartOffset (v5+)
            0x00, 0x00, 0x00, 0x00,  // abortedTransactions: empty
            0xFF, 0xFF, 0xFF, 0xFF,  // preferredReadReplica -1 (v11+)
            0x00, 0x00, 0x00, 0x02, 0xAA, 0xBB,  // records
            0x00, 0x00, 0x00, 0x01,  // partition 1
            0x00, 0x01,  // OFFSET_OUT_OF_RANGE
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00,
            0xFF, 0xFF, 0xFF, 0xFF,
            0x00, 0x00, 0x00, 0x00,  // records: zero bytes, not null (-1): librdkafka 2.0.2 rejects null
        ])
        #expect(FetchResponse.Partition().records == ByteBuffer(), "the default is empty, not nil")
    }

    @Test func joinGroupResponseV5() throws {
        var response = JoinGroupResponse(
            errorCode: .none, generationId: 1, protocolName: "range", leader: "m1", memberId: "m1",
            members: [.init(memberId: "m1", metadata: ByteBuffer(bytes: [0xAB, 0xCD]))]
        )
        response.throttleTimeMs = 1
        try expectGolden(response, version: 5, [
            0x00, 0x00, 0x00, 0x01,  // throttleTimeMs (v2+)
            0x00, 0x00,  // errorCode
            0x00, 0x00, 0x00, 0x01,  // generationId
        ], str("range"), str("m1"), str("m1"), [0x00, 0x00, 0x00, 0x01], str("m1"),
        [0xFF, 0xFF],  // member groupInstanceId null (v5+)
        byt([0xAB, 0xCD]))
    }

    @Test func offsetFetchResponseV5PutsTopLevelErrorAfterTopics() throws {
        var response = OffsetFetchResponse(
            topics: [.init(name: "t", partitions: [.init(partitionIndex: 0, committedOffset: 17, metadata: "")])],
            errorCode: .coordinatorLoadInProgress
        )
        response.throttleTimeMs = 2
        try expectGolden(response, version: 5, [
            0x00, 0x00, 0x00, 0x02,  // throttleTimeMs (v3+)
            0x00, 0x00, 0x00, 0x01,
        ], str("t"), [
            0x00, 0x00, 0x00, 0x01,
            0x00, 0x00, 0x00, 0x00,  // partition 0
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x11,  // committedOffset 17
            0xFF, 0xFF, 0xFF, 0xFF,  // committedLeaderEpoch -1 (v5+)
            0x00, 0x00,  // metadata ""
            0x00, 0x00,  // partition errorCode
            0x00, 0x0E,  // top-level errorCode 14 (v2+), after the topics
        ])
    }

    @Test func describeConfigsResponseV0HasIsDefault() throws {
        var config = DescribeConfigsResponse.Config()
        config.name = "retention.ms"
        config.value = "604800000"
        config.isDefault = true
        let response = DescribeConfigsResponse(results: [
            .init(errorCode: .none, resourceType: 2, resourceName: "t", configs: [config]),
        ])
        try expectGolden(response, version: 0, [
            0x00, 0x00, 0x00, 0x00,  // throttleTimeMs
            0x00, 0x00, 0x00, 0x01,
            0x00, 0x00,  // errorCode
            0xFF, 0xFF,  // errorMessage null
            0x02,  // resourceType topic
        ], str("t"), [0x00, 0x00, 0x00, 0x01], str("retention.ms"), str("604800000"), [
            0x00,  // readOnly
            0x01,  // isDefault (v0 only)
            0x00,  // isSensitive; no configSource or synonyms in v0
        ])
    }

    @Test func describeConfigsResponseV1HasSourceAndSynonyms() throws {
        var synonym = DescribeConfigsResponse.Synonym()
        synonym.name = "cleanup.policy"
        synonym.value = "compact"
        synonym.source = 1
        var config = DescribeConfigsResponse.Config()
        config.name = "cleanup.policy"
        config.value = "compact"
        config.configSource = DescribeConfigsResponse.Source.topicConfig.rawValue
        config.synonyms = [synonym]
        let response = DescribeConfigsResponse(results: [
            .init(errorCode: .none, resourceType: 2, resourceName: "t", configs: [config]),
        ])
        try expectGolden(response, version: 1, [
            0x00, 0x00, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x01,
            0x00, 0x00, 0xFF, 0xFF, 0x02,
        ], str("t"), [0x00, 0x00, 0x00, 0x01], str("cleanup.policy"), str("compact"), [
            0x00,  // readOnly; no isDefault after v0
            0x01,  // configSource TOPIC_CONFIG (v1+)
            0x00,  // isSensitive
            0x00, 0x00, 0x00, 0x01,  // synonyms (v1+)
        ], str("cleanup.policy"), str("compact"), [0x01])
    }

    @Test func initProducerIdResponseV1() throws {
        let response = InitProducerIdResponse(errorCode: .none, producerId: 1000, producerEpoch: 0)
        try expectGolden(response, version: 1, [
            0x00, 0x00, 0x00, 0x00,  // throttleTimeMs
            0x00, 0x00,  // errorCode
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0xE8,  // producerId 1000
            0x00, 0x00,  // producerEpoch 0
        ])
    }
}
