import KafkaProtocol
import Logging
import NIOCore
import NIOPosix

/// Accepts Kafka connections and serves each one's requests in order, as Kafka does: a
/// connection's next request is handled only after the previous one is, which is what lets a
/// long-polling fetch hold back the requests queued behind it. The one exception is the wait
/// of an `acks=-1` produce for its fsync: the next requests proceed meanwhile (their appends
/// join the same group commit), and a writer sends the answers in request order.
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
                let (replies, queue) = AsyncStream.makeStream(of: Reply.self)
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        for await reply in replies {
                            switch reply {
                            case .none: continue
                            case .ready(let response): try await outbound.write(response)
                            case .pending(let task): try await outbound.write(await task.value)
                            }
                        }
                    }
                    defer { queue.finish() }
                    for try await frame in inbound {
                        queue.yield(try await handler.respond(to: frame, from: client))
                    }
                    queue.finish()
                    try await group.waitForAll()
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
