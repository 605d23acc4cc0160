import Foundation
import KafkaProtocol
import Logging
import NIOCore

/// The answer to one request, in the order requests arrived.
enum Reply: Sendable {
    /// `acks=0` produces get no answer at all.
    case none
    case ready(ByteBuffer)
    /// Work is done, but the answer waits for something (an fsync); later requests on the
    /// connection may proceed meanwhile, and answers still go out in request order.
    case pending(Task<ByteBuffer, Never>)
}

/// Turns one request frame into one response frame (or none, for `acks=0` produces).
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

    func respond(to request: ByteBuffer, from client: ClientContext) async throws -> Reply {
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
            return .ready(framed(response, header: header, api: api, version: 0))
        }
        let context = RequestContext(clientId: header.clientId ?? "", clientHost: client.host, version: version)

        switch api {
        case .apiVersions:
            return try await answer(ApiVersionsRequest.self, &body, header, api) { _ in ApiVersionsResponse.supported }
        case .metadata:
            return try await answer(MetadataRequest.self, &body, header, api) { metadata($0, context) }
        case .produce:
            // The appends happen now, in request order; only the wait for durability is
            // deferred, so a producer's pipelined requests share fsyncs.
            let request = try ProduceRequest.decode(from: &body, version: version)
            let (appended, durable) = produce(request, context)
            guard request.acks != 0 else { return .none }
            guard request.acks == -1, !durable.isEmpty else {
                return .ready(framed(appended, header: header, api: api, version: version))
            }
            return .pending(Task {
                let response = await waitUntilDurable(appended, durable)
                return framed(response, header: header, api: api, version: version)
            })
        case .fetch:
            return try await answer(FetchRequest.self, &body, header, api) { await fetch($0, context) }
        case .listOffsets:
            return try await answer(ListOffsetsRequest.self, &body, header, api) { listOffsets($0, context) }
        case .createTopics:
            return try await answer(CreateTopicsRequest.self, &body, header, api) { createTopics($0, context) }
        case .deleteTopics:
            return try await answer(DeleteTopicsRequest.self, &body, header, api) { deleteTopics($0, context) }
        case .deleteRecords:
            return try await answer(DeleteRecordsRequest.self, &body, header, api) { deleteRecords($0, context) }
        case .describeConfigs:
            return try await answer(DescribeConfigsRequest.self, &body, header, api) { describeConfigs($0, context) }
        case .initProducerId:
            return try await answer(InitProducerIdRequest.self, &body, header, api) { initProducerId($0, context) }
        case .findCoordinator:
            return try await answer(FindCoordinatorRequest.self, &body, header, api) { findCoordinator($0, context) }
        case .joinGroup:
            return try await answer(JoinGroupRequest.self, &body, header, api) { await groups.join($0, context) }
        case .syncGroup:
            return try await answer(SyncGroupRequest.self, &body, header, api) { await groups.sync($0, context) }
        case .heartbeat:
            return try await answer(HeartbeatRequest.self, &body, header, api) { await groups.heartbeat($0) }
        case .leaveGroup:
            return try await answer(LeaveGroupRequest.self, &body, header, api) { await groups.leave($0) }
        case .offsetCommit:
            return try await answer(OffsetCommitRequest.self, &body, header, api) { await offsetCommit($0, context) }
        case .offsetFetch:
            return try await answer(OffsetFetchRequest.self, &body, header, api) { await offsetFetch($0, context) }
        case .describeGroups:
            return try await answer(DescribeGroupsRequest.self, &body, header, api) { await groups.describe($0) }
        case .listGroups:
            return try await answer(ListGroupsRequest.self, &body, header, api) { _ in await groups.list() }
        }
    }

    /// Decodes the request body, runs `work` and frames its response.
    private func answer<Request: KafkaMessage, Response: KafkaMessage>(
        _: Request.Type, _ body: inout ByteBuffer, _ header: RequestHeader, _ api: APIKey,
        _ work: (Request) async throws -> Response
    ) async throws -> Reply {
        let request = try Request.decode(from: &body, version: header.apiVersion)
        let response = try await work(request)
        return .ready(framed(response, header: header, api: api, version: header.apiVersion))
    }

    private func framed<Response: KafkaMessage>(_ response: Response, header: RequestHeader, api: APIKey, version: Int16) -> ByteBuffer {
        var buffer = ByteBufferAllocator().buffer(capacity: 256)
        buffer.writeInteger(Int32(0))
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
