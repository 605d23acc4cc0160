import Foundation
import NIOCore
import NIOPosix
import NIOWebSocket

/// A WebSocket connection to a gateway: one device's session in the client protocol.
public final class ChatSocket: Sendable {
    /// The server refused the upgrade (bad token, wrong node, …).
    public struct Refused: Error, CustomStringConvertible {
        public var status: Int
        public var body: String
        public var description: String { "WebSocket upgrade refused with \(status): \(body)" }
    }

    private let outgoing: AsyncStream<WebSocketFrame>.Continuation
    private let channel: any Channel
    /// Text frames from the server, parsed; ends when the connection closes.
    public let frames: AsyncStream<JSONValue>
    private let connection: Task<Void, Never>

    /// Opens `/v1/ws` with `token` (sent as the `token` query parameter).
    public static func connect(host: String, port: Int, token: String, path: String = "/v1/ws") async throws -> ChatSocket {
        let escaped = token.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed) ?? token
        let handshake = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    let outcome = channel.eventLoop.makePromise(of: WebSocketHandshake.Outcome.self)
                    try channel.pipeline.syncOperations.addHandler(WebSocketHandshake(
                        host: host, port: port, target: "\(path)?token=\(escaped)", maxFrameSize: 1 << 24, outcome: outcome
                    ))
                    return outcome.futureResult
                }
            }
        switch try await handshake.get() {
        case .upgraded(let channel): return try ChatSocket(channel)
        case .refused(let refused): throw refused
        }
    }

    private init(_ asyncChannel: NIOAsyncChannel<WebSocketFrame, WebSocketFrame>) throws {
        channel = asyncChannel.channel
        let (frames, sink) = AsyncStream.makeStream(of: JSONValue.self)
        let (outgoingFrames, outgoing) = AsyncStream.makeStream(of: WebSocketFrame.self)
        self.frames = frames
        self.outgoing = outgoing
        connection = Task {
            try? await asyncChannel.executeThenClose { inbound, outbound in
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        for await frame in outgoingFrames { try await outbound.write(frame) }
                    }
                    for try await frame in inbound {
                        switch frame.opcode {
                        case .text:
                            if let value = try? JSONValue(parsing: String(buffer: frame.unmaskedData)) { sink.yield(value) }
                        case .connectionClose:
                            group.cancelAll()
                            return
                        default:
                            continue
                        }
                    }
                    group.cancelAll()
                }
            }
            sink.finish()
        }
    }

    /// Sends one JSON object as a text frame.
    public func send(_ object: [String: Any]) async throws {
        try await sendText(JSONValue.text(object))
    }

    /// Sends raw text (tests use it for malformed frames).
    public func sendText(_ text: String) async throws {
        outgoing.yield(WebSocketFrame(fin: true, opcode: .text, maskKey: .random(), data: ByteBuffer(string: text)))
    }

    /// Closes the connection and waits until it is closed.
    public func close() async {
        outgoing.yield(WebSocketFrame(fin: true, opcode: .connectionClose, maskKey: .random(), data: ByteBuffer(integer: UInt16(1000))))
        outgoing.finish()
        try? await Task.sleep(for: .milliseconds(20))
        try? await channel.close()
        await connection.value
    }
}
