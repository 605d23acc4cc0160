import KafkaProtocol
import NIOCore
import Testing

/// Request bodies written byte by byte from the layouts in kafka-broker-brief.md §2.3 and §3,
/// never produced by the encoder. Each must encode to exactly these bytes and decode back.
@Suite struct GoldenRequestBytesTests {
    @Test func apiVersionsRequestV3UsesCompactStringsAndTags() throws {
        let request = ApiVersionsRequest(clientSoftwareName: "librdkafka", clientSoftwareVersion: "2.0.2")
        try expectGolden(request, version: 3, [0x0B], Array("librdkafka".utf8),  // compact string: N+1 = 11
            [0x06], Array("2.0.2".utf8),  // compact string: N+1 = 6
            [0x00])  // body tag section
    }

    @Test func apiVersionsRequestV0IsEmpty() throws {
        try expectGolden(ApiVersionsRequest(), version: 0, [])
        // The v3 names do not exist before v3: they are neither written nor read.
        let named = ApiVersionsRequest(clientSoftwareName: "x", clientSoftwareVersion: "y")
        #expect(Wire.encode(named, version: 2) == [])
    }

    @Test func metadataRequestV0EmptyArray() throws {
        let request = MetadataRequest(topics: [])
        try expectGolden(request, version: 0, [0x00, 0x00, 0x00, 0x00])
        // In v0 an empty list means every topic.
        #expect(request.requestedTopics(version: 0) == nil)
        #expect(request.requestedTopics(version: 1) == [])
    }

    @Test func metadataRequestV4NullTopics() throws {
        let request = MetadataRequest(topics: nil, allowAutoTopicCreation: false)
        try expectGolden(request, version: 4, [
            0xFF, 0xFF, 0xFF, 0xFF,  // topics: null array (-1)
            0x00,  // allowAutoTopicCreation false
        ])
        #expect(request.requestedTopics(version: 4) == nil)
    }

    @Test func metadataRequestV4NamedTopics() throws {
        let request = MetadataRequest(topics: ["a", "bc"], allowAutoTopicCreation: true)
        try expectGolden(request, version: 4, [0x00, 0x00, 0x00, 0x02], str("a"), str("bc"), [0x01])
    }

    @Test func produceRequestV3() throws {
        let request = ProduceRequest(acks: -1, timeoutMs: 30_000, topics: [
            .init(name: "t", partitions: [.init(index: 0, records: ByteBuffer(bytes: [1, 2, 3]))]),
        ])
        try expectGolden(request, version: 3, [
            0xFF, 0xFF,  // transactionalId: null
            0xFF, 0xFF,  // acks -1
            0x00, 0x00, 0x75, 0x30,  // timeoutMs 30000
            0x00, 0x00, 0x00, 0x01,  // one topic
        ], str("t"), [
            0x00, 0x00, 0x00, 0x01,  // one partition
            0x00, 0x00, 0x00, 0x00,  // index 0
            0x00, 0x00, 0x00, 0x03, 0x01, 0x02, 0x03,  // records: int32 length + bytes
        ])
    }

    @Test func produceRequestV7() throws {
        var request = ProduceRequest(acks: 1, timeoutMs: 1000, topics: [
            .init(name: "t", partitions: [.init(index: 0, records: nil), .init(index: 1, records: ByteBuffer())]),
        ])
        request.transactionalId = "tx"
        try expectGolden(request, version: 7, str("tx"), [
            0x00, 0x01,  // acks 1
            0x00, 0x00, 0x03, 0xE8,  // timeoutMs 1000
            0x00, 0x00, 0x00, 0x01,
        ], str("t"), [
            0x00, 0x00, 0x00, 0x02,
            0x00, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF,  // partition 0: null records
            0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,  // partition 1: empty records
        ])
    }

    @Test func fetchRequestV4() throws {
        var request = FetchRequest(maxWaitMs: 500, minBytes: 1, maxBytes: 52_428_800, topics: [
            .init(topic: "t", partitions: [.init(partition: 2, fetchOffset: 10, partitionMaxBytes: 1_048_576)]),
        ])
        request.isolationLevel = 1
        try expectGolden(request, version: 4, [
            0xFF, 0xFF, 0xFF, 0xFF,  // replicaId -1
            0x00, 0x00, 0x01, 0xF4,  // maxWaitMs 500
            0x00, 0x00, 0x00, 0x01,  // minBytes 1
            0x03, 0x20, 0x00, 0x00,  // maxBytes 50 MiB
            0x01,  // isolationLevel read_committed
            0x00, 0x00, 0x00, 0x01,
        ], str("t"), [
            0x00, 0x00, 0x00, 0x01,
            0x00, 0x00, 0x00, 0x02,  // partition 2
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0A,  // fetchOffset 10
            0x00, 0x10, 0x00, 0x00,  // partitionMaxBytes 1 MiB
        ])
    }

    @Test func fetchRequestV11() throws {
        var partition = FetchRequest.Partition(partition: 0, fetchOffset: 5, partitionMaxBytes: 65536)
        partition.currentLeaderEpoch = 3
        partition.logStartOffset = 1
        var forgotten = FetchRequest.ForgottenTopic()
        forgotten.topic = "old"
        forgotten.partitions = [1, 2]
        var request = FetchRequest(maxWaitMs: 100, minBytes: 1, maxBytes: 1024, topics: [
            .init(topic: "t", partitions: [partition]),
        ])
        request.sessionId = 9
        request.sessionEpoch = 2
        request.forgottenTopicsData = [forgotten]
        request.rackId = "rack1"
        try expectGolden(request, version: 11, [
            0xFF, 0xFF, 0xFF, 0xFF,  // replicaId
            0x00, 0x00, 0x00, 0x64,  // maxWaitMs 100
            0x00, 0x00, 0x00, 0x01,  // minBytes
            0x00, 0x00, 0x04, 0x00,  // maxBytes 1024
            0x00,  // isolationLevel
            0x00, 0x00, 0x00, 0x09,  // sessionId (v7+)
            0x00, 0x00, 0x00, 0x02,  // sessionEpoch (v7+)
            0x00, 0x00, 0x00, 0x01,
        ], str("t"), [
            0x00, 0x00, 0x00, 0x01,
            0x00, 0x00, 0x00, 0x00,  // partition 0
            0x00, 0x00, 0x00, 0x03,  // currentLeaderEpoch (v9+)
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05,  // fetchOffset
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,  // logStartOffset (v5+)
            0x00, 0x01, 0x00, 0x00,  // partitionMaxBytes 64 KiB
            0x00, 0x00, 0x00, 0x01,  // forgottenTopicsData (v7+)
        ], str("old"), [
            0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02,  // [1, 2]
        ], str("rack1"))  // rackId (v11+)
    }

    @Test func listOffsetsRequestV1() throws {
        let request = ListOffsetsRequest(topics: [
            .init(name: "t", partitions: [.init(partitionIndex: 0, timestamp: ListOffsetsRequest.earliest)]),
        ])
        try expectGolden(request, version: 1, [
            0xFF, 0xFF, 0xFF, 0xFF,  // replicaId; no isolationLevel before v2
            0x00, 0x00, 0x00, 0x01,
        ], str("t"), [
            0x00, 0x00, 0x00, 0x01,
            0x00, 0x00, 0x00, 0x00,  // partition 0; no currentLeaderEpoch before v4
            0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFE,  // timestamp -2 (earliest)
        ])
    }

    @Test func listOffsetsRequestV5() throws {
        var partition = ListOffsetsRequest.Partition(partitionIndex: 3, timestamp: 1_700_000_000_000)
        partition.currentLeaderEpoch = 5
        var request = ListOffsetsRequest(topics: [.init(name: "t", partitions: [partition])])
        request.isolationLevel = 1
        try expectGolden(request, version: 5, [
            0xFF, 0xFF, 0xFF, 0xFF,  // replicaId
            0x01,  // isolationLevel (v2+)
            0x00, 0x00, 0x00, 0x01,
        ], str("t"), [
            0x00, 0x00, 0x00, 0x01,
            0x00, 0x00, 0x00, 0x03,  // partition 3
            0x00, 0x00, 0x00, 0x05,  // currentLeaderEpoch (v4+)
            0x00, 0x00, 0x01, 0x8B, 0xCF, 0xE5, 0x68, 0x00,  // timestamp 1.7e12 ms
        ])
    }

    @Test func joinGroupRequestV5() throws {
        var request = JoinGroupRequest(
            groupId: "g", sessionTimeoutMs: 45_000, rebalanceTimeoutMs: 300_000, memberId: "",
            protocolType: "consumer", protocols: [.init(name: "range", metadata: ByteBuffer(bytes: [0, 1, 2]))]
        )
        request.groupInstanceId = "i1"
        try expectGolden(request, version: 5, str("g"), [
            0x00, 0x00, 0xAF, 0xC8,  // sessionTimeoutMs 45000
            0x00, 0x04, 0x93, 0xE0,  // rebalanceTimeoutMs 300000 (v1+)
            0x00, 0x00,  // memberId ""
        ], str("i1"),  // groupInstanceId (v5+)
            str("consumer"), [0x00, 0x00, 0x00, 0x01], str("range"), byt([0, 1, 2]))
    }

    @Test func offsetCommitRequestV2HasRetention() throws {
        var request = OffsetCommitRequest(groupId: "g", generationId: 1, memberId: "m", topics: [
            .init(name: "t", partitions: [.init(partitionIndex: 0, committedOffset: 100, committedMetadata: "md")]),
        ])
        request.retentionTimeMs = 86_400_000
        try expectGolden(request, version: 2, str("g"), [0x00, 0x00, 0x00, 0x01], str("m"), [
            0x00, 0x00, 0x00, 0x00, 0x05, 0x26, 0x5C, 0x00,  // retentionTimeMs one day (v2-4)
            0x00, 0x00, 0x00, 0x01,
        ], str("t"), [
            0x00, 0x00, 0x00, 0x01,
            0x00, 0x00, 0x00, 0x00,  // partition 0
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x64,  // offset 100; no leader epoch before v6
        ], str("md"))
    }

    @Test func offsetCommitRequestV7HasInstanceIdAndNoRetention() throws {
        var partition = OffsetCommitRequest.Partition(partitionIndex: 0, committedOffset: 100, committedMetadata: nil)
        partition.committedLeaderEpoch = 4
        var request = OffsetCommitRequest(groupId: "g", generationId: 1, memberId: "m", topics: [
            .init(name: "t", partitions: [partition]),
        ])
        request.groupInstanceId = "i"
        try expectGolden(request, version: 7, str("g"), [0x00, 0x00, 0x00, 0x01], str("m"),
            str("i"),  // groupInstanceId (v7+), and no retentionTimeMs after v4
            [0x00, 0x00, 0x00, 0x01], str("t"), [
                0x00, 0x00, 0x00, 0x01,
                0x00, 0x00, 0x00, 0x00,
                0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x64,  // offset 100
                0x00, 0x00, 0x00, 0x04,  // committedLeaderEpoch (v6+)
                0xFF, 0xFF,  // metadata null
            ])
        #expect(try Wire.decode(OffsetCommitRequest.self, Wire.encode(request, version: 7), version: 7)
            .retentionTimeMs == -1)
    }

    @Test func createTopicsRequestV4() throws {
        var assigned = CreateTopicsRequest.Topic(name: "u", numPartitions: -1, replicationFactor: -1, configs: [
            .init(name: "x", value: nil),
        ])
        var assignment = CreateTopicsRequest.Assignment()
        assignment.partitionIndex = 0
        assignment.brokerIds = [0]
        assigned.assignments = [assignment]
        let request = CreateTopicsRequest(topics: [
            .init(name: "t", numPartitions: 3, replicationFactor: 1, configs: [
                .init(name: "cleanup.policy", value: "compact"),
            ]),
            assigned,
        ], timeoutMs: 30_000, validateOnly: true)
        try expectGolden(request, version: 4, [0x00, 0x00, 0x00, 0x02], str("t"), [
            0x00, 0x00, 0x00, 0x03,  // numPartitions 3
            0x00, 0x01,  // replicationFactor 1
            0x00, 0x00, 0x00, 0x00,  // no assignments
            0x00, 0x00, 0x00, 0x01,
        ], str("cleanup.policy"), str("compact"), str("u"), [
            0xFF, 0xFF, 0xFF, 0xFF,  // numPartitions -1: broker default
            0xFF, 0xFF,  // replicationFactor -1
            0x00, 0x00, 0x00, 0x01,  // one assignment
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,  // partition 0 -> [0]
            0x00, 0x00, 0x00, 0x01,
        ], str("x"), [0xFF, 0xFF], [  // config value null
            0x00, 0x00, 0x75, 0x30,  // timeoutMs
            0x01,  // validateOnly (v1+)
        ])
    }
}
