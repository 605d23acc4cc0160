import Broker
import Glibc
import KafkaProtocol
import NIOCore
import NIOPosix
import TestSupport
import Testing

/// The broker's connection handling seen from a real TCP client: raw Kafka frames, written
/// with the project's own codec, against a broker running in this process.
@Suite struct KafkaServerTests {
    // MARK: - Ordering

    @Test(.timeLimit(.minutes(1)))
    func pipelinedRequestsAreAnsweredInOrder() async throws {
        let topic = "pipelined"
        let durable = try TestBatch([TestRecord(key: "k1", value: "hello"), TestRecord(key: "k2", value: nil)])
        let fireAndForget = try TestBatch([TestRecord(key: "k3", value: "world")])
        try await withBroker { port in
            try await KafkaConnection.with(port: port) { connection in
                // CreateTopics runs in a task and must hold back the produce behind it, which
                // would otherwise find no topic.
                try await connection.send([
                    requestFrame(createTopicRequest(topic), version: 4, correlationId: 1),
                    requestFrame(identifiedApiVersions, version: 3, correlationId: 2),
                    requestFrame(MetadataRequest(topics: [topic], allowAutoTopicCreation: false), version: 6, correlationId: 3),
                    requestFrame(produce(durable, to: topic, acks: -1), version: 7, correlationId: 4),
                    requestFrame(produce(fireAndForget, to: topic, acks: 0), version: 7, correlationId: 5),
                    requestFrame(ApiVersionsRequest(), version: 0, correlationId: 6),
                ])
                var frames: [ByteBuffer] = []
                for _ in 0..<5 { frames.append(try await connection.receive()) }
                // An answer to the acks=0 produce (5) would come before 6.
                try #require(frames.map(correlationId(of:)) == [1, 2, 3, 4, 6])

                let created = try decodeResponse(frames[0], as: CreateTopicsResponse.self, version: 4)
                #expect(created.topics == [.init(name: topic, errorCode: .none)])
                #expect(try decodeResponse(frames[1], as: ApiVersionsResponse.self, version: 3) == .supported)
                let metadata = try decodeResponse(frames[2], as: MetadataResponse.self, version: 6)
                #expect(metadata.brokers == [.init(nodeId: 0, host: "127.0.0.1", port: Int32(port))])
                #expect(metadata.topics == [.init(name: topic, partitions: [.init(partitionIndex: 0, leader: 0)])])
                let produced = try decodeResponse(frames[3], as: ProduceResponse.self, version: 7)
                #expect(produced.topics == [
                    .init(name: topic, partitions: [.init(index: 0, errorCode: .none, baseOffset: 0, logStartOffset: 0)]),
                ])
                #expect(try decodeResponse(frames[4], as: ApiVersionsResponse.self, version: 0) == .supported)

                // Waiting for both batches' bytes, as the acks=0 one may not be durable yet.
                let fetched = try await connection.roundTrip(
                    fetch(topic, maxWaitMs: 10_000, minBytes: Int32(durable.size + fireAndForget.size)),
                    version: 11, correlationId: 7, as: FetchResponse.self
                )
                let partition = try onlyPartition(of: fetched)
                #expect(partition.errorCode == 0)
                #expect(partition.highWatermark == 3)
                let batches = try decodeBatches(try #require(partition.records))
                #expect(batches.map(\.header.baseOffset) == [0, 2])
                #expect(batches.flatMap(TestRecord.of) == durable.records + fireAndForget.records)
            }
        }
    }

    // MARK: - Long polls

    @Test(.timeLimit(.minutes(1)))
    func fetchWaitsOutMaxWaitAndHoldsLaterRequestsBack() async throws {
        let topic = "quiet"
        try await withBroker { port in
            try await KafkaConnection.with(port: port) { connection in
                try await connection.createTopic(topic)
                let sent = ContinuousClock.now
                try await connection.send([
                    requestFrame(fetch(topic, maxWaitMs: 500, minBytes: 1), version: 11, correlationId: 10),
                    requestFrame(ApiVersionsRequest(), version: 0, correlationId: 11),
                ])
                let fetchFrame = try await connection.receive()
                let waited = ContinuousClock.now - sent
                let apiVersionsFrame = try await connection.receive()

                // Lower bound only: the broker's deadline starts after `sent`.
                #expect(waited >= .milliseconds(400))
                #expect([fetchFrame, apiVersionsFrame].map(correlationId(of:)) == [10, 11])
                let partition = try onlyPartition(of: try decodeResponse(fetchFrame, as: FetchResponse.self, version: 11))
                #expect(partition.errorCode == 0)
                #expect(partition.highWatermark == 0)
                #expect(partition.records?.readableBytes == 0)
                #expect(try decodeResponse(apiVersionsFrame, as: ApiVersionsResponse.self, version: 0) == .supported)
            }
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func fetchWakesWhenAnotherConnectionProduces() async throws {
        let topic = "awaited"
        let batch = try TestBatch([TestRecord(key: "wake", value: "up")])
        try await withBroker { port in
            try await KafkaConnection.with(port: port) { consumer in
                try await consumer.createTopic(topic)
                let sent = ContinuousClock.now
                try await consumer.send([
                    requestFrame(fetch(topic, maxWaitMs: 20_000, minBytes: 1), version: 11, correlationId: 20),
                ])
                // Give the fetch time to park, so the produce has to wake it.
                try await Task.sleep(for: .milliseconds(200))
                try await KafkaConnection.with(port: port) { producer in
                    let produced = try await producer.roundTrip(
                        produce(batch, to: topic, acks: -1), version: 7, correlationId: 1, as: ProduceResponse.self
                    )
                    #expect(produced.topics.first?.partitions.first?.errorCode == 0)
                }
                let fetched = try decodeResponse(
                    try await consumer.receive(), as: FetchResponse.self, version: 11, correlationId: 20
                )
                // Half the 20 s long poll: an answer by then can only have been woken by the produce.
                #expect(ContinuousClock.now - sent < .seconds(10))
                let partition = try onlyPartition(of: fetched)
                #expect(partition.errorCode == 0)
                #expect(try decodeBatches(try #require(partition.records)).flatMap(TestRecord.of) == batch.records)
            }
        }
    }

    // MARK: - Bad input

    /// Frames the broker cannot parse; each must close its connection without an answer.
    enum BadFrame: CaseIterable, Sendable {
        case oversized
        case unknownAPIKey
        case unsupportedProduceVersion
        case truncatedBody
        case garbageBody

        /// The `maxRequestBytes` the broker runs with, so that `oversized` stays small.
        static let limit = 64 << 10

        func bytes() throws -> ByteBuffer {
            let produceBody = encoded(produce(try TestBatch(count: 3), to: "any", acks: -1), version: 7)
            switch self {
            case .oversized:
                // Only the size and a few bytes: the broker must refuse before the body arrives.
                var buffer = ByteBuffer()
                buffer.writeInteger(Int32(Self.limit + 1))
                buffer.writeRepeatingByte(0, count: 64)
                return buffer
            case .unknownAPIKey:
                // 17 is SaslHandshake, a Kafka API this broker does not speak.
                return rawFrame(apiKey: 17, version: 1, correlationId: 1, body: ByteBuffer(string: "PLAIN"))
            case .unsupportedProduceVersion:
                return rawFrame(apiKey: APIKey.produce.rawValue, version: 99, correlationId: 1, body: produceBody)
            case .truncatedBody:
                return rawFrame(
                    apiKey: APIKey.produce.rawValue, version: 7, correlationId: 1,
                    body: produceBody.getSlice(at: produceBody.readerIndex, length: produceBody.readableBytes / 2)!
                )
            case .garbageBody:
                // A topic count of Int32.max with one byte behind it.
                return rawFrame(
                    apiKey: APIKey.metadata.rawValue, version: 5, correlationId: 1,
                    body: ByteBuffer(bytes: [0x7F, 0xFF, 0xFF, 0xFF, 0x01])
                )
            }
        }
    }

    @Test(.timeLimit(.minutes(1)), arguments: BadFrame.allCases)
    func badFrameClosesOnlyItsConnection(_ bad: BadFrame) async throws {
        try await withBroker({ $0.maxRequestBytes = BadFrame.limit }) { port in
            try await KafkaConnection.with(port: port) { before in
                try await before.expectApiVersions(correlationId: 1)
                try await KafkaConnection.with(port: port) { victim in
                    // A good request right behind the bad frame must not be answered either.
                    try await victim.send([try bad.bytes(), requestFrame(ApiVersionsRequest(), version: 0, correlationId: 2)])
                    #expect(try await victim.readSideEnded())
                }
                try await before.expectApiVersions(correlationId: 2)
                try await KafkaConnection.with(port: port) { after in
                    try await after.expectApiVersions(correlationId: 1)
                }
            }
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func tooNewApiVersionsIsAnsweredWithUnsupportedVersion() async throws {
        try await withBroker { port in
            try await KafkaConnection.with(port: port) { connection in
                try await connection.send([requestFrame(identifiedApiVersions, version: 99, correlationId: 30)])
                // KIP-511: the v0 layout, which decodeResponse checks is all the frame holds.
                let answer = try decodeResponse(
                    try await connection.receive(), as: ApiVersionsResponse.self, version: 0, correlationId: 30
                )
                #expect(answer.errorCode == KafkaErrorCode.unsupportedVersion.rawValue)
                #expect(answer.apiKeys == ApiVersionsResponse.supported.apiKeys)
                #expect(answer.apiKeys.contains(.init(apiKey: APIKey.apiVersions.rawValue, minVersion: 0, maxVersion: 4)))

                // The client retries on the same connection, as librdkafka does.
                try await connection.expectApiVersions(correlationId: 31)
            }
        }
    }

    // MARK: - Flow control

    @Test(.timeLimit(.minutes(1)))
    func manyPipelinedRequestsAreAllAnsweredInOrderWhenTheClientFinallyReads() async throws {
        let topic = "wide"
        let count: Int32 = 2_000
        try await withBroker { port in
            // A small receive buffer, so the answers (about 1 KiB each, 32 partitions) back up
            // into the broker instead of into the kernel.
            try await KafkaConnection.with(port: port, receiveBuffer: 4_096) { connection in
                try await connection.createTopic(topic, partitions: 32)
                let request = MetadataRequest(topics: [topic], allowAutoTopicCreation: false)
                try await connection.send((0..<count).map { requestFrame(request, version: 6, correlationId: $0) })
                try await Task.sleep(for: .milliseconds(500))

                let brokers = [MetadataResponse.Broker(nodeId: 0, host: "127.0.0.1", port: Int32(port))]
                let topics = [
                    MetadataResponse.Topic(name: topic, partitions: (0..<32).map { .init(partitionIndex: $0, leader: 0) }),
                ]
                var mismatches: [Int32] = []
                for id in 0..<count {
                    let answer = try decodeResponse(
                        try await connection.receive(), as: MetadataResponse.self, version: 6, correlationId: id
                    )
                    if answer.brokers != brokers || answer.topics != topics { mismatches.append(id) }
                }
                #expect(mismatches.isEmpty)
                try await connection.expectApiVersions(correlationId: count)
            }
        }
    }
}

// MARK: - A broker and a raw connection to it

/// Runs `body` against a broker of its own on a port the kernel picks, then stops it.
private func withBroker(
    _ configure: (inout BrokerConfiguration) -> Void = { _ in }, _ body: (_ port: Int) async throws -> Void
) async throws {
    let directory = try TemporaryDirectory(prefix: "kafka-server")
    let broker = try await TestBroker.start(directory: directory.child("data"), port: 0, configure: configure)
    do {
        try await body(broker.broker.port)
    } catch {
        try? await broker.stop()
        throw error
    }
    try await broker.stop()
    withExtendedLifetime(directory) {}
}

/// A TCP connection that writes request frames and reads response frames, nothing more.
private struct KafkaConnection {
    private var inbound: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
    private let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>

    /// Connects to the broker on `port`, runs `body`, and closes the connection.
    static func with(
        port: Int, receiveBuffer: Int? = nil, _ body: (inout KafkaConnection) async throws -> Void
    ) async throws {
        var bootstrap = ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        if let receiveBuffer { bootstrap = bootstrap.channelOption(.socketOption(.so_rcvbuf), value: receiveBuffer) }
        let channel = try await bootstrap.connect(host: "127.0.0.1", port: port) { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(ResponseFrameDecoder()))
                return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
            }
        }
        try await channel.executeThenClose { inbound, outbound in
            var connection = KafkaConnection(inbound: inbound.makeAsyncIterator(), outbound: outbound)
            try await body(&connection)
        }
    }

    /// Writes `frames` back to back in a single write, as a pipelining client does.
    func send(_ frames: [ByteBuffer]) async throws {
        var bytes = ByteBuffer()
        for var frame in frames { bytes.writeBuffer(&frame) }
        try await outbound.write(bytes)
    }

    /// The next response frame, after its size.
    mutating func receive() async throws -> ByteBuffer {
        guard let frame = try await inbound.next() else { throw TestFailure("the broker closed the connection") }
        return frame
    }

    /// Whether the broker closed the connection before sending anything more. A reset counts:
    /// a peer that closes with bytes unread sends RST rather than FIN.
    mutating func readSideEnded() async throws -> Bool {
        do {
            return try await inbound.next() == nil
        } catch let error as IOError where error.errnoCode == ECONNRESET {
            return true
        }
    }

    /// Sends one request and decodes its answer, which must be the next frame.
    mutating func roundTrip<Request: KafkaMessage, Response: KafkaMessage>(
        _ request: Request, version: Int16, correlationId: Int32, as: Response.Type
    ) async throws -> Response {
        try await send([requestFrame(request, version: version, correlationId: correlationId)])
        return try decodeResponse(try await receive(), as: Response.self, version: version, correlationId: correlationId)
    }

    /// Checks the connection is served: an ApiVersions v3 gets the broker's full table.
    mutating func expectApiVersions(correlationId: Int32) async throws {
        let answer = try await roundTrip(
            identifiedApiVersions, version: 3, correlationId: correlationId, as: ApiVersionsResponse.self
        )
        #expect(answer == .supported)
    }

    mutating func createTopic(_ name: String, partitions: Int32 = 1) async throws {
        let created = try await roundTrip(
            createTopicRequest(name, partitions: partitions), version: 4, correlationId: -1, as: CreateTopicsResponse.self
        )
        try #require(created.topics == [.init(name: name, errorCode: .none)])
    }
}

/// Splits the broker's bytes into response frames, dropping the int32 size in front of each.
private struct ResponseFrameDecoder: NIOSingleStepByteToMessageDecoder {
    typealias InboundOut = ByteBuffer

    mutating func decode(buffer: inout ByteBuffer) throws -> ByteBuffer? {
        guard let size = buffer.getInteger(at: buffer.readerIndex, as: Int32.self) else { return nil }
        guard size >= 0 else { throw TestFailure("negative response size \(size)") }
        guard buffer.readableBytes >= 4 + Int(size) else { return nil }
        buffer.moveReaderIndex(forwardBy: 4)
        return buffer.readSlice(length: Int(size))
    }

    mutating func decodeLast(buffer: inout ByteBuffer, seenEOF: Bool) throws -> ByteBuffer? {
        try decode(buffer: &buffer)
    }
}

// MARK: - Frames

/// A request frame: its int32 size, the request header, then `body`.
private func rawFrame(apiKey: Int16, version: Int16, correlationId: Int32, body: ByteBuffer) -> ByteBuffer {
    var frame = ByteBuffer()
    frame.writeInteger(Int32(0))
    RequestHeader(apiKey: apiKey, apiVersion: version, correlationId: correlationId, clientId: "kafka-server-tests")
        .encode(into: &frame)
    frame.writeImmutableBuffer(body)
    frame.setInteger(Int32(frame.readableBytes - 4), at: frame.readerIndex)
    return frame
}

private func requestFrame<Request: KafkaMessage>(_ request: Request, version: Int16, correlationId: Int32) -> ByteBuffer {
    rawFrame(
        apiKey: Request.apiKey.rawValue, version: version, correlationId: correlationId,
        body: encoded(request, version: version)
    )
}

private func encoded<Message: KafkaMessage>(_ message: Message, version: Int16) -> ByteBuffer {
    var body = ByteBuffer()
    message.encode(into: &body, version: version)
    return body
}

private func correlationId(of frame: ByteBuffer) -> Int32? {
    frame.getInteger(at: frame.readerIndex)
}

/// Decodes a response frame (after its size) and checks it held exactly that response, so
/// the size the broker wrote matches what it encoded.
private func decodeResponse<Response: KafkaMessage>(
    _ frame: ByteBuffer, as: Response.Type, version: Int16, correlationId expected: Int32? = nil
) throws -> Response {
    var body = frame
    let correlationId = try ResponseHeader.decode(from: &body, api: Response.apiKey, version: version)
    if let expected, correlationId != expected {
        throw TestFailure("expected the answer to \(expected), got the answer to \(correlationId)")
    }
    let response = try Response.decode(from: &body, version: version)
    guard body.readableBytes == 0 else {
        throw TestFailure("\(body.readableBytes) bytes left after the \(Response.apiKey) v\(version) response")
    }
    return response
}

/// ApiVersions v3+ names the client software, as librdkafka's first request does.
private let identifiedApiVersions = ApiVersionsRequest(clientSoftwareName: "kafka-server-tests", clientSoftwareVersion: "1")

private func createTopicRequest(_ name: String, partitions: Int32 = 1) -> CreateTopicsRequest {
    CreateTopicsRequest(topics: [.init(name: name, numPartitions: partitions)])
}

private func produce(_ batch: TestBatch, to topic: String, acks: Int16) -> ProduceRequest {
    ProduceRequest(acks: acks, topics: [.init(name: topic, partitions: [.init(index: 0, records: batch.buffer)])])
}

private func fetch(_ topic: String, maxWaitMs: Int32, minBytes: Int32) -> FetchRequest {
    FetchRequest(
        maxWaitMs: maxWaitMs, minBytes: minBytes, maxBytes: 1 << 20,
        topics: [.init(topic: topic, partitions: [.init(partition: 0, fetchOffset: 0)])]
    )
}

private func onlyPartition(of response: FetchResponse) throws -> FetchResponse.Partition {
    guard response.topics.count == 1, response.topics[0].partitions.count == 1 else {
        throw TestFailure("expected one partition in \(response)")
    }
    return response.topics[0].partitions[0]
}
