import KafkaProtocol
import Logging
import NIOCore
import NIOPosix

/// Accepts Kafka connections and serves each one's requests strictly in order, as Kafka
/// does: a connection's next request is read only after the previous one is answered, which
/// is what lets a long-polling fetch hold back the requests queued behind it.
struct KafkaServer: Sendable {
    let handler: RequestHandler
    let maxFrameSize: Int
    let logger: Logger

    typealias Connection = NIOAsyncChannel<ByteBuffer, ByteBuffer>

    func bind(host: String, port: Int, group: any EventLoopGroup) async throws -> NIOAsyncChannel<Connection, Never> {
        let maxFrameSize = self.maxFrameSize
        return try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(.backlog, value: 256)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .bind(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        ByteToMessageHandler(KafkaFrameDecoder(maxFrameSize: maxFrameSize))
                    )
                    return try Connection(wrappingChannelSynchronously: channel)
                }
            }
    }

    /// Serves connections until the task is cancelled.
    func serve(_ listener: NIOAsyncChannel<Connection, Never>) async throws {
        try await withThrowingDiscardingTaskGroup { group in
            try await listener.executeThenClose { connections in
                for try await connection in connections {
                    group.addTask { await serve(connection) }
                }
            }
        }
    }

    private func serve(_ connection: Connection) async {
        let peer = connection.channel.remoteAddress?.description ?? "unknown"
        let client = ClientContext(host: connection.channel.remoteAddress?.ipAddress ?? "")
        do {
            try await connection.executeThenClose { inbound, outbound in
                for try await frame in inbound {
                    if let response = try await handler.respond(to: frame, from: client) {
                        try await outbound.write(response)
                    }
                }
            }
        } catch let error as KafkaCodecError {
            logger.warning("closing connection after a bad request", metadata: ["peer": "\(peer)", "error": "\(error)"])
        } catch is CancellationError {
        } catch {
            logger.debug("connection ended", metadata: ["peer": "\(peer)", "error": "\(error)"])
        }
    }
}

/// What a request handler knows about the connection a request came on.
struct ClientContext: Sendable {
    var host: String
}
