import KafkaProtocol
import Logging
import NIOCore
import NIOPosix
import Synchronization

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

    /// The listening socket. Accepted connections come out of it as plain channels, reading
    /// nothing, and become ``Connection``s only when taken for serving: when the listener
    /// stops, NIO drops what it accepted and had not handed over yet, and a dropped
    /// `NIOAsyncChannel` traps (swift-nio#2637). Those are kept in `unserved` and closed then.
    struct Listener: Sendable {
        fileprivate let channel: NIOAsyncChannel<any Channel, Never>
        fileprivate let unserved: UnservedConnections

        var port: Int? { channel.channel.localAddress?.port }
    }

    func bind(host: String, port: Int, group: any EventLoopGroup) async throws -> Listener {
        let maxFrameSize = self.maxFrameSize
        let unserved = UnservedConnections()
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(.backlog, value: 256)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.autoRead, value: false)
            .bind(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        ByteToMessageHandler(KafkaFrameDecoder(maxFrameSize: maxFrameSize))
                    )
                    unserved.add(channel)
                    return channel
                }
            }
        return Listener(channel: channel, unserved: unserved)
    }

    /// Serves connections until the task is cancelled.
    func serve(_ listener: Listener) async throws {
        defer { listener.unserved.closeAll() }
        try await withThrowingDiscardingTaskGroup { group in
            try await listener.channel.executeThenClose { channels in
                for try await channel in channels {
                    listener.unserved.remove(channel)
                    group.addTask {
                        if let connection = await adopt(channel) { await serve(connection) }
                    }
                }
            }
        }
    }

    /// Wraps an accepted channel for serving and starts reading it; nil if it closed already
    /// (a wrapper added then would never see its end). Nothing after the wrapping may throw:
    /// a wrapper must not be dropped.
    private func adopt(_ channel: any Channel) async -> Connection? {
        do {
            return try await channel.eventLoop.submit { () -> Connection? in
                guard channel.isActive else { return nil }
                let connection = try Connection(wrappingChannelSynchronously: channel)
                try? channel.syncOptions?.setOption(.autoRead, value: true)
                return connection
            }.get()
        } catch {
            channel.close(promise: nil)
            return nil
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

/// Connections accepted and not yet taken out of the listener's stream.
fileprivate final class UnservedConnections: Sendable {
    private let channels = Mutex<[ObjectIdentifier: any Channel]>([:])

    func add(_ channel: any Channel) {
        channels.withLock { $0[ObjectIdentifier(channel)] = channel }
    }

    func remove(_ channel: any Channel) {
        channels.withLock { $0[ObjectIdentifier(channel)] = nil }
    }

    func closeAll() {
        let left = channels.withLock { channels in
            defer { channels = [:] }
            return channels.values
        }
        for channel in left { channel.close(promise: nil) }
    }
}
