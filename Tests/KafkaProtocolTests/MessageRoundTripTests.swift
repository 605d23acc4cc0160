import KafkaProtocol
import NIOCore
import Testing

/// One advertised (API, version) pair, as a test argument.
struct APIVersion: Sendable, CustomTestStringConvertible {
    var api: APIKey
    var version: Int16

    var testDescription: String { "\(api) v\(version)" }

    /// Every version of every API the broker advertises.
    static let advertised: [APIVersion] = APIKey.allCases.flatMap { api in
        api.supportedVersions.map { APIVersion(api: api, version: $0) }
    }
}

/// Round trips of every request and response at every advertised version, with every field
/// that exists at the version set to something other than its default.
@Suite struct MessageRoundTripTests {
    @Test(arguments: APIVersion.advertised)
    func requestRoundTrip(_ pair: APIVersion) throws {
        try Self.roundTrip(requestType(pair.api), pair.version)
    }

    @Test(arguments: APIVersion.advertised)
    func responseRoundTrip(_ pair: APIVersion) throws {
        try Self.roundTrip(responseType(pair.api), pair.version)
    }

    private static func roundTrip<M: Sampled>(_: M.Type, _ version: Int16) throws {
        let sample = M.sample(At(version))
        let bytes = Wire.encode(sample, version: version)
        if !bytes.isEmpty { #expect(sample != M(), "the sample must not be the default value") }
        #expect(try Wire.decode(M.self, bytes, version: version) == sample)

        // A value with the fields of every version encodes exactly like the sample: fields the
        // version lacks are not written...
        let everything = M.sample(.all)
        #expect(Wire.encode(everything, version: version) == bytes)
        // ...and so come back as their defaults.
        #expect(try Wire.decode(M.self, Wire.encode(everything, version: version), version: version) == sample)
    }

    @Test(arguments: APIKey.allCases)
    func typesAnswerToTheirAPIKey(_ api: APIKey) {
        #expect(requestType(api).apiKey == api)
        #expect(responseType(api).apiKey == api)
    }

    @Test func advertisedTableMatchesTheBrief() {
        let table = Dictionary(uniqueKeysWithValues: APIKey.allCases.map { ($0.rawValue, $0.supportedVersions) })
        // kafka-broker-brief.md §1.1: each range and why it cannot move.
        let expected: [Int16: ClosedRange<Int16>] = [
            0: 0...7, 1: 4...11, 2: 1...5, 3: 0...6, 8: 2...7, 9: 1...5, 10: 0...2, 11: 0...5, 12: 0...3, 13: 0...1,
            14: 0...3, 15: 0...4, 16: 0...2, 18: 0...4, 19: 0...4, 20: 0...3, 21: 0...1, 22: 0...1, 32: 0...2,
        ]
        #expect(table == expected)
        let firstFlexible = Dictionary(
            uniqueKeysWithValues: APIKey.allCases.map { ($0.rawValue, $0.firstFlexibleVersion) }
        )
        #expect(firstFlexible == [
            0: 9, 1: 12, 2: 6, 3: 9, 8: 8, 9: 6, 10: 3, 11: 6, 12: 4, 13: 4, 14: 4, 15: 5, 16: 3, 18: 3, 19: 5, 20: 4,
            21: 2, 22: 2, 32: 4,
        ])
        // Every advertised version but ApiVersions v3-4 is below the API's first flexible version.
        for pair in APIVersion.advertised {
            let flexible = pair.api == .apiVersions && pair.version >= 3
            #expect(pair.api.isFlexible(pair.version) == flexible, "\(pair.testDescription)")
        }
    }

    @Test func supportedApiVersionsTableIsSortedAndComplete() {
        let entries = ApiVersionsResponse.supported.apiKeys
        #expect(entries.map(\.apiKey) == APIKey.allCases.map(\.rawValue).sorted())
        for entry in entries {
            #expect(APIKey(rawValue: entry.apiKey)?.supportedVersions == entry.minVersion...entry.maxVersion)
        }
        #expect(ApiVersionsResponse.supported.errorCode == 0)
    }
}

/// Fields a version does not have come back as their defaults, whatever the sender set.
@Suite struct VersionGatedFieldTests {
    private func decoded<M: KafkaMessage>(_ value: M, at version: Int16) throws -> M {
        try Wire.decode(M.self, Wire.encode(value, version: version), version: version)
    }

    @Test func offsetCommitRetentionOnlyUpToV4() throws {
        var request = OffsetCommitRequest.sample(.all)
        request.retentionTimeMs = 5000
        #expect(try decoded(request, at: 4).retentionTimeMs == 5000)
        #expect(try decoded(request, at: 5).retentionTimeMs == -1)
        #expect(try decoded(request, at: 6).groupInstanceId == nil)
        #expect(try decoded(request, at: 5).topics[0].partitions[0].committedLeaderEpoch == -1)
    }

    @Test func describeConfigsIsDefaultOnlyInV0AndSourceFromV1() throws {
        let response = DescribeConfigsResponse.sample(.all)
        let v0 = try decoded(response, at: 0).results[0].configs[0]
        #expect(v0.isDefault == true)
        #expect(v0.configSource == -1)
        #expect(v0.synonyms.isEmpty)
        let v1 = try decoded(response, at: 1).results[0].configs[0]
        #expect(v1.isDefault == false)
        #expect(v1.configSource == 4)
        #expect(v1.synonyms.count == 1)
    }

    @Test func fetchFieldsAppearAtTheirVersions() throws {
        let request = FetchRequest.sample(.all)
        #expect(try decoded(request, at: 10).rackId == "")
        #expect(try decoded(request, at: 8).topics[0].partitions[0].currentLeaderEpoch == -1)
        #expect(try decoded(request, at: 4).topics[0].partitions[0].logStartOffset == -1)
        let v6 = try decoded(request, at: 6)
        #expect(v6.sessionId == 0 && v6.sessionEpoch == -1 && v6.forgottenTopicsData.isEmpty)

        let response = FetchResponse.sample(.all)
        #expect(try decoded(response, at: 10).topics[0].partitions[0].preferredReadReplica == -1)
        #expect(try decoded(response, at: 6).sessionId == 0)
    }

    @Test func metadataAndProduceGates() throws {
        let metadata = MetadataResponse.sample(.all)
        #expect(try decoded(metadata, at: 1).clusterId == nil)
        #expect(try decoded(metadata, at: 0).controllerId == -1)
        #expect(try decoded(metadata, at: 0).brokers[0].rack == nil)
        #expect(try decoded(metadata, at: 4).topics[0].partitions[0].offlineReplicas == [])
        #expect(try decoded(MetadataRequest.sample(.all), at: 3).allowAutoTopicCreation == true)

        let produce = ProduceResponse.sample(.all)
        #expect(try decoded(produce, at: 4).topics[0].partitions[0].logStartOffset == -1)
        #expect(try decoded(produce, at: 1).topics[0].partitions[0].logAppendTimeMs == -1)
        #expect(try decoded(produce, at: 0).throttleTimeMs == 0)
        #expect(try decoded(ProduceRequest.sample(.all), at: 2).transactionalId == nil)
    }

    @Test func groupGates() throws {
        #expect(try decoded(JoinGroupRequest.sample(.all), at: 0).rebalanceTimeoutMs == -1)
        #expect(try decoded(JoinGroupRequest.sample(.all), at: 4).groupInstanceId == nil)
        #expect(try decoded(JoinGroupResponse.sample(.all), at: 4).members[0].groupInstanceId == nil)
        #expect(try decoded(SyncGroupRequest.sample(.all), at: 2).groupInstanceId == nil)
        #expect(try decoded(DescribeGroupsResponse.sample(.all), at: 2).groups[0].authorizedOperations == Int32.min)
        #expect(try decoded(OffsetFetchResponse.sample(.all), at: 1).errorCode == 0)
    }

    // MARK: - Null and "all" arrays

    @Test func metadataNullTopicsOnlyFromV1() throws {
        let all = MetadataRequest(topics: nil)
        #expect(try decoded(all, at: 1).topics == nil)
        // v0 cannot say null: it sends the empty array, which means "all" there.
        let v0 = try decoded(all, at: 0)
        #expect(v0.topics == [])
        #expect(v0.requestedTopics(version: 0) == nil)
    }

    @Test func offsetFetchNullTopicsOnlyFromV2() throws {
        let all = OffsetFetchRequest(groupId: "g", topics: nil)
        #expect(try decoded(all, at: 2).topics == nil)
        #expect(try decoded(all, at: 1).topics == [])
        #expect(Wire.encode(all, version: 2).suffix(4) == [0xFF, 0xFF, 0xFF, 0xFF])
    }

    @Test func fetchResponseNullAbortedTransactionsSurvive() throws {
        var response = FetchResponse.sample(.all)
        response.topics[0].partitions[0].abortedTransactions = nil
        #expect(try decoded(response, at: 11) == response)
    }
}
