import KafkaProtocol
import Logging
import NIOCore
import NIOPosix
import Synchronization

/// Accepts Kafka connections and serves each one on its event loop
/// (``KafkaConnectionHandler``): requests in order, answers in order.
struct KafkaServer: Sendable {
    let handler: RequestHandler
    let maxFrameSize: Int
    let logger: Logger

    /// The listening socket and the connections it accepted. Connections read nothing until
    /// ``serve(_:)`` starts: the broker binds first, to learn its port, and only then has
    /// the handler that advertises it.
    struct Listener: Sendable {
        fileprivate let channel: any Channel
        fileprivate let connections: OpenConnections
        fileprivate let serving: ServingHandler

        var port: Int? { channel.localAddress?.port }
    }

    func bind(host: String, port: Int, group: any EventLoopGroup) async throws -> Listener {
        let maxFrameSize = self.maxFrameSize
        let logger = self.logger
        let connections = OpenConnections()
        let serving = ServingHandler()
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(.backlog, value: 256)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.autoRead, value: false)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandlers(
                        ByteToMessageHandler(KafkaFrameDecoder(maxFrameSize: maxFrameSize)),
                        KafkaConnectionHandler(serving: serving, logger: logger)
                    )
                    switch connections.add(channel) {
                    case .read: try channel.syncOptions?.setOption(.autoRead, value: true)
                    case .wait: break
                    case .refuse: channel.close(promise: nil)
                    }
                    channel.closeFuture.whenComplete { _ in connections.remove(channel) }
                }
            }
            .bind(host: host, port: port)
            .get()
        return Listener(channel: channel, connections: connections, serving: serving)
    }

    /// Serves connections until the task is cancelled, then stops accepting and closes every
    /// connection.
    func serve(_ listener: Listener) async throws {
        listener.serving.start(handler)
        for channel in listener.connections.startServing() {
            channel.setOption(.autoRead, value: true).whenFailure { _ in }
        }
        await withTaskCancellationHandler {
            try? await listener.channel.closeFuture.get()
        } onCancel: {
            listener.channel.close(promise: nil)
        }
        for channel in listener.connections.stop() {
            try? await channel.close()
        }
    }
}

/// What a request handler knows about the connection a request came on.
struct ClientContext: Sendable {
    var host: String
}

/// The listener's open connections, and whether they may read yet.
fileprivate final class OpenConnections: Sendable {
    enum Admission {
        case read
        case wait
        case refuse
    }

    private struct State {
        var channels: [ObjectIdentifier: any Channel] = [:]
        var serving = false
        var stopped = false
    }

    private let state = Mutex(State())

    func add(_ channel: any Channel) -> Admission {
        state.withLock { state in
            guard !state.stopped else { return .refuse }
            state.channels[ObjectIdentifier(channel)] = channel
            return state.serving ? .read : .wait
        }
    }

    func remove(_ channel: any Channel) {
        state.withLock { _ = $0.channels.removeValue(forKey: ObjectIdentifier(channel)) }
    }

    /// The connections accepted before serving started, which start reading now.
    func startServing() -> [any Channel] {
        state.withLock { state in
            state.serving = true
            return Array(state.channels.values)
        }
    }

    /// Every open connection, to be closed; later ones are refused.
    func stop() -> [any Channel] {
        state.withLock { state in
            state.stopped = true
            return Array(state.channels.values)
        }
    }
}
