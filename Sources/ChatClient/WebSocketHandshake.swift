import COpenSSL
import Foundation
import NIOCore
import NIOWebSocket

/// The client's side of the WebSocket opening handshake (RFC 6455, section 4), written out
/// rather than done with NIO's HTTP upgrade handlers.
///
/// A gateway that refuses a session writes its `error` frame, its close frame and the end of
/// its output right behind the `101` response. NIO's client upgrade (2.101) loses those bytes
/// when the end of the stream is read before the upgrade has completed, which a busy client
/// does: the refusal then looks like a connection closed without a word. Here the bytes after
/// the response head go to the frame decoder in the same read that completed the head, so
/// they arrive before the end of the stream does.
final class WebSocketHandshake: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    enum Outcome: Sendable {
        case upgraded(NIOAsyncChannel<WebSocketFrame, WebSocketFrame>)
        case refused(ChatSocket.Refused)
    }

    /// The response head may not be larger than this.
    private static let maxHeadBytes = 64 << 10
    private static let acceptGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

    private let request: ByteBuffer
    private let key: String
    private let maxFrameSize: Int
    private let outcome: EventLoopPromise<Outcome>
    private var received = ByteBuffer()
    private var decided = false
    /// A response other than 101: its status and how long its body is (nil: until the end).
    private var refusal: (status: Int, bodyLength: Int?)?

    init(host: String, port: Int, target: String, maxFrameSize: Int, outcome: EventLoopPromise<Outcome>) {
        key = Data((0..<16).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
        request = ByteBuffer(string: [
            "GET \(target) HTTP/1.1", "Host: \(host):\(port)", "Upgrade: websocket", "Connection: Upgrade",
            "Sec-WebSocket-Key: \(key)", "Sec-WebSocket-Version: 13", "", "",
        ].joined(separator: "\r\n"))
        self.maxFrameSize = maxFrameSize
        self.outcome = outcome
    }

    func channelActive(context: ChannelHandlerContext) {
        context.writeAndFlush(NIOAny(request), promise: nil)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        received.writeBuffer(&bytes)
        if let refusal {
            if let length = refusal.bodyLength, received.readableBytes >= length { refuse(context: context) }
            return
        }
        guard let headEnd = received.readableBytesView.firstRange(of: Array("\r\n\r\n".utf8))?.upperBound else {
            if received.readableBytes > Self.maxHeadBytes { fail(context: context, reason: "a response head over 64 KiB") }
            return
        }
        let headLength = headEnd - received.readableBytesView.startIndex
        let head = received.readString(length: headLength) ?? ""
        let lines = head.split(separator: "\r\n")
        let statusParts = lines.first?.split(separator: " ") ?? []
        guard statusParts.count >= 2, statusParts[0].hasPrefix("HTTP/"), let status = Int(statusParts[1]) else {
            return fail(context: context, reason: "a response that is not HTTP")
        }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        guard status == 101 else {
            refusal = (status, headers["content-length"].flatMap(Int.init))
            if let length = refusal?.bodyLength, received.readableBytes >= length { refuse(context: context) }
            return
        }
        guard headers["upgrade"]?.lowercased() == "websocket", headers["sec-websocket-accept"] == Self.accept(for: key) else {
            return fail(context: context, reason: "a 101 response that does not accept this WebSocket key")
        }
        do {
            try context.pipeline.syncOperations.addHandlers(
                [WebSocketFrameEncoder(), ByteToMessageHandler(WebSocketFrameDecoder(maxFrameSize: maxFrameSize))],
                position: .after(self)
            )
            let channel = try NIOAsyncChannel<WebSocketFrame, WebSocketFrame>(wrappingChannelSynchronously: context.channel)
            decide(context: context, .success(.upgraded(channel)))
        } catch {
            return decide(context: context, .failure(error))
        }
        // What came behind the head is the first frames.
        if received.readableBytes > 0 { context.fireChannelRead(wrapInboundOut(received)) }
        received = ByteBuffer()
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        if refusal != nil {
            refuse(context: context)
        } else {
            decide(context: context, .failure(ChannelError.eof))
        }
        context.fireChannelInactive()
    }

    /// A connection that never came up (or was torn down first) still answers the caller.
    func handlerRemoved(context: ChannelHandlerContext) {
        decide(context: context, .failure(ChannelError.ioOnClosedChannel))
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        decide(context: context, .failure(error))
    }

    private func refuse(context: ChannelHandlerContext) {
        guard let refusal else { return }
        let body = received.readString(length: min(refusal.bodyLength ?? received.readableBytes, received.readableBytes)) ?? ""
        decide(context: context, .success(.refused(ChatSocket.Refused(status: refusal.status, body: body))))
    }

    private func fail(context: ChannelHandlerContext, reason: String) {
        decide(context: context, .failure(Failure(description: "the server sent \(reason)")))
    }

    /// Completes the handshake once; anything but an upgrade ends the connection.
    private func decide(context: ChannelHandlerContext, _ result: Result<Outcome, any Error>) {
        guard !decided else { return }
        decided = true
        outcome.completeWith(result)
        if case .success(.upgraded) = result { return }
        context.close(promise: nil)
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// What the server must answer in `Sec-WebSocket-Accept`: base64 of the SHA-1 of the key
    /// and the protocol's GUID.
    static func accept(for key: String) -> String {
        var digest = [UInt8](repeating: 0, count: Int(SHA_DIGEST_LENGTH))
        let input = Array((key + acceptGUID).utf8)
        SHA1(input, input.count, &digest)
        return Data(digest).base64EncodedString()
    }
}
