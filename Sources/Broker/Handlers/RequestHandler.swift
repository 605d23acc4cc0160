import Foundation
import KafkaProtocol
import Logging
import NIOCore

/// What the connection does with one request, decided as soon as it is read. Answers go out
/// in the order the requests came, whatever order they complete in.
enum Dispatch: Sendable {
    /// `acks=0` produces get no answer at all.
    case none
    case ready(ByteBuffer)
    /// The batches are appended; the answer waits until they are durable. Later requests on
    /// the connection proceed meanwhile, so a producer's pipelined requests share fsyncs.
    case durable(PendingProduce)
    /// A fetch, which may long-poll: later requests wait until it is answered.
    case fetch(PendingFetch)
    /// Work that suspends or may block on files (the group coordinator, topic admin): it runs
    /// off the event loop, and later requests wait until it is answered.
    case deferred(@Sendable () async -> ByteBuffer)
}

/// A produce whose answer waits for durability.
struct PendingProduce: Sendable {
    var response: ProduceResponse
    var waits: [RequestHandler.DurableWait]
    var header: RequestHeader
}

/// A fetch as read from the wire, with the time its long poll ends.
struct PendingFetch: Sendable {
    var request: FetchRequest
    var header: RequestHeader
    var deadline: NIODeadline
}

/// Decides what to do with one request frame, and frames the answers.
///
/// Each API has its own file of handlers (`RequestHandler+Produce.swift`, …); this file only
/// reads the header, checks the version against what ApiVersions advertises, and frames the
/// answer. A request this broker cannot parse throws ``KafkaCodecError``, and the server
/// closes the connection, as Kafka does: no well-formed answer exists for an unknown layout.
struct RequestHandler: Sendable {
    let logs: LogManager
    let meta: BrokerMeta
    let groups: GroupCoordinator
    let configuration: BrokerConfiguration
    let advertisedHost: String
    let advertisedPort: Int32
    let logger: Logger

    func dispatch(_ request: ByteBuffer, from client: ClientContext) throws -> Dispatch {
        var body = request
        let header = try RequestHeader.decode(from: &body)
        guard let api = header.api else { throw KafkaCodecError.unknownAPIKey(header.apiKey) }
        let version = header.apiVersion
        guard api.supportedVersions.contains(version) else {
            guard api == .apiVersions else {
                throw KafkaCodecError.unsupportedVersion(apiKey: header.apiKey, version: version)
            }
            // KIP-511: answer a too-new ApiVersions with error 35 in the v0 layout, listing our
            // versions, so the client retries with one we speak.
            var response = ApiVersionsResponse.supported
            response.errorCode = KafkaErrorCode.unsupportedVersion.rawValue
            return .ready(framed(response, header: header, version: 0))
        }
        BrokerMetrics.received(api)
        let context = RequestContext(clientId: header.clientId ?? "", clientHost: client.host, version: version)

        switch api {
        case .apiVersions:
            return try answer(ApiVersionsRequest.self, &body, header) { _ in ApiVersionsResponse.supported }
        case .metadata:
            return try answer(MetadataRequest.self, &body, header) { metadata($0, context) }
        case .produce:
            // The appends happen now, in request order; only the wait for durability is
            // deferred.
            let request = try ProduceRequest.decode(from: &body, version: version)
            let (appended, durable) = produce(request, context)
            guard request.acks != 0 else { return .none }
            guard request.acks == -1, !durable.isEmpty else { return .ready(framed(appended, header: header)) }
            return .durable(PendingProduce(response: appended, waits: durable, header: header))
        case .fetch:
            let request = try FetchRequest.decode(from: &body, version: version)
            let deadline = NIODeadline.now() + .milliseconds(Int64(max(0, request.maxWaitMs)))
            return .fetch(PendingFetch(request: request, header: header, deadline: deadline))
        case .listOffsets:
            return try answer(ListOffsetsRequest.self, &body, header) { listOffsets($0, context) }
        case .describeConfigs:
            return try answer(DescribeConfigsRequest.self, &body, header) { describeConfigs($0, context) }
        case .findCoordinator:
            return try answer(FindCoordinatorRequest.self, &body, header) { findCoordinator($0, context) }
        // These write files (topic directories, producer ids) and may wait for an fsync.
        case .createTopics:
            return try deferred(CreateTopicsRequest.self, &body, header) { createTopics($0, context) }
        case .deleteTopics:
            return try deferred(DeleteTopicsRequest.self, &body, header) { deleteTopics($0, context) }
        case .deleteRecords:
            return try deferred(DeleteRecordsRequest.self, &body, header) { deleteRecords($0, context) }
        case .initProducerId:
            return try deferred(InitProducerIdRequest.self, &body, header) { initProducerId($0, context) }
        case .joinGroup:
            return try deferred(JoinGroupRequest.self, &body, header) { await groups.join($0, context) }
        case .syncGroup:
            return try deferred(SyncGroupRequest.self, &body, header) { await groups.sync($0, context) }
        case .heartbeat:
            return try deferred(HeartbeatRequest.self, &body, header) { await groups.heartbeat($0) }
        case .leaveGroup:
            return try deferred(LeaveGroupRequest.self, &body, header) { await groups.leave($0) }
        case .offsetCommit:
            return try deferred(OffsetCommitRequest.self, &body, header) { await offsetCommit($0, context) }
        case .offsetFetch:
            return try deferred(OffsetFetchRequest.self, &body, header) { await offsetFetch($0, context) }
        case .describeGroups:
            return try deferred(DescribeGroupsRequest.self, &body, header) { await groups.describe($0) }
        case .listGroups:
            return try deferred(ListGroupsRequest.self, &body, header) { _ in await groups.list() }
        }
    }

    /// Decodes the request body and answers it at once.
    private func answer<Request: KafkaMessage, Response: KafkaMessage>(
        _: Request.Type, _ body: inout ByteBuffer, _ header: RequestHeader, _ work: (Request) -> Response
    ) throws -> Dispatch {
        let request = try Request.decode(from: &body, version: header.apiVersion)
        return .ready(framed(work(request), header: header))
    }

    /// Decodes the request body now and leaves the work for later, off the event loop.
    private func deferred<Request: KafkaMessage, Response: KafkaMessage>(
        _: Request.Type, _ body: inout ByteBuffer, _ header: RequestHeader,
        _ work: @escaping @Sendable (Request) async -> Response
    ) throws -> Dispatch {
        let request = try Request.decode(from: &body, version: header.apiVersion)
        return .deferred { framed(await work(request), header: header) }
    }

    /// The answer to `header`'s request as a frame: its length, the response header, the body.
    func framed<Response: KafkaMessage>(_ response: Response, header: RequestHeader, version: Int16? = nil) -> ByteBuffer {
        var buffer = ByteBufferAllocator().buffer(capacity: 256)
        buffer.writeInteger(Int32(0))
        // Only ever called for requests whose API is known.
        let api = header.api!
        let version = version ?? header.apiVersion
        ResponseHeader.encode(correlationId: header.correlationId, api: api, version: version, into: &buffer)
        response.encode(into: &buffer, version: version)
        buffer.setInteger(Int32(buffer.readableBytes - 4), at: buffer.readerIndex)
        return buffer
    }
}

/// What handlers know about the request beyond its body.
struct RequestContext: Sendable {
    var clientId: String
    var clientHost: String
    var version: Int16
}

/// Milliseconds since the Unix epoch, the unit of every Kafka timestamp.
func currentTimeMillis() -> Int64 {
    Int64((Date().timeIntervalSince1970 * 1000).rounded())
}
