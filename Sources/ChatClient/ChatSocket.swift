import Foundation
import NIOCore
import NIOHTTP1
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

    private enum Upgrade {
        case websocket(NIOAsyncChannel<WebSocketFrame, WebSocketFrame>)
        case refused(NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>)
    }

    private let outgoing: AsyncStream<WebSocketFrame>.Continuation
    private let channel: any Channel
    /// Text frames from the server, parsed; ends when the connection closes.
    public let frames: AsyncStream<JSONValue>
    private let connection: Task<Void, Never>

    /// Opens `/v1/ws` with `token` (sent as the `token` query parameter).
    public static func connect(host: String, port: Int, token: String, path: String = "/v1/ws") async throws -> ChatSocket {
        let escaped = token.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed) ?? token
        let upgrade: EventLoopFuture<Upgrade> = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    let upgrader = NIOTypedWebSocketClientUpgrader<Upgrade>(maxFrameSize: 1 << 24) { channel, _ in
                        channel.eventLoop.makeCompletedFuture {
                            .websocket(try NIOAsyncChannel<WebSocketFrame, WebSocketFrame>(wrappingChannelSynchronously: channel))
                        }
                    }
                    var headers = HTTPHeaders()
                    headers.add(name: "Host", value: "\(host):\(port)")
                    let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: "\(path)?token=\(escaped)", headers: headers)
                    let configuration = NIOTypedHTTPClientUpgradeConfiguration<Upgrade>(
                        upgradeRequestHead: head, upgraders: [upgrader],
                        notUpgradingCompletionHandler: { channel in
                            channel.eventLoop.makeCompletedFuture {
                                .refused(try NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>(
                                    wrappingChannelSynchronously: channel
                                ))
                            }
                        }
                    )
                    // A server may write its first frame right behind the 101 response, in the same
                    // read: those bytes belong to the WebSocket, not to the HTTP decoder.
                    var pipeline = NIOUpgradableHTTPClientPipelineConfiguration(upgradeConfiguration: configuration)
                    pipeline.leftOverBytesStrategy = .forwardBytes
                    return try channel.pipeline.syncOperations.configureUpgradableHTTPClientPipeline(configuration: pipeline)
                }
            }
        switch try await upgrade.get() {
        case .websocket(let channel):
            return try ChatSocket(channel)
        case .refused(let channel):
            var status = 0
            var body = ""
            try? await channel.executeThenClose { inbound, _ in
                for try await part in inbound {
                    switch part {
                    case .head(let head): status = Int(head.status.code)
                    case .body(let buffer): body += String(buffer: buffer)
                    case .end: return
                    }
                }
            }
            throw Refused(status: status, body: body)
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
