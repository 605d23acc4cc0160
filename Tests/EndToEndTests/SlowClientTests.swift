import ChatClient
import Foundation
import Glibc
import Testing
import TestSupport

/// A device whose client stops reading: the gateway closes its session once more frames
/// wait for it than `--max-queued-frames`, rather than holding them without end, and the
/// device gets everything when it comes back, since it acknowledged nothing.
@Suite(.timeLimit(.minutes(10)))
struct SlowClientTests {
    @Test func aClientThatStopsReadingIsClosedAndGetsEverythingWhenItReconnects() async throws {
        let bound = 100
        // A server of its own: a small bound, and a presence timeout far longer than the test,
        // so that only the bound can close the silent session.
        let server = try await ChatServer.start(extraArguments: ["--max-queued-frames", "\(bound)", "--presence-timeout", "3600"])
        let alice = try await server.user(SharedServer.name("alice"))
        let bob = try await server.user(SharedServer.name("bob"))
        let a = try await alice.connect()

        let raw = try await RawWebSocket.connect(host: bob.node.host, port: bob.node.port, token: bob.token(), receiveBuffer: 4096)
        // A pong means the session reads frames, so it was registered for pushes before.
        try await raw.send(text: #"{"type":"ping"}"#)
        let greeting = try await raw.read(timeout: .seconds(30)) { $0.json?["type"]?.string == "pong" }
        try #require(greeting.end == nil, "the session ended before its pong: \(greeting)")
        try #require(greeting.frames.contains { $0.json?["type"]?.string == "pong" })
        // From here bob reads nothing.

        // Alice sends in windows far below the bound, so that her own `sent`s never queue up
        // past it; each window is pushed to bob as it is stored. How much the connection takes
        // before it stops being writable depends on the kernel's buffers (here about 3 MB), so
        // she sends until the gateway gives up on bob's session, then as much again as a
        // catch-up must bring: pushes to a closed session are dropped, not lost.
        let padding = String(repeating: "x", count: 1_000)
        let window = bound / 4
        let closing = "closing a session that does not keep up"
        var sent: [JSONValue] = []
        var closedAt: Int?
        do {
            while sent.count < (closedAt.map { $0 + 500 } ?? 40_000) {
                let first = sent.count + 1
                for index in first..<first + window {
                    try await a.send(id: "m\(index)", toUser: bob.id, body: "\(index) \(padding)")
                }
                sent += try await a.collect(window, type: "sent", timeout: .seconds(60))
                if closedAt == nil, server.output?.stderr.contains(closing) == true { closedAt = sent.count }
            }
        } catch {
            Issue.record("server: \(server.output?.stderr ?? "")")
            throw error
        }
        let count = sent.count
        // While bob read nothing, the gateway closed his session for not keeping up.
        try #require(closedAt != nil, "\(count) messages and bob's session was not closed")
        // ...and let go of his connection without waiting for him to read: alice's is the one left.
        #expect(await eventually(timeout: .seconds(30), every: .milliseconds(200)) {
            let metrics = String(decoding: (try? await server.http.request("GET", "/metrics").body) ?? Data(), as: UTF8.self)
            let connections = metrics.split(separator: "\n").first { $0.hasPrefix("chat_connections ") }
            return connections.flatMap { Double($0.split(separator: " ")[1]) } == 1
        })
        #expect(sent.map { $0["seq"]?.int } == (1...count).map { Int64($0) })
        #expect(sent.map { $0["ref"]?.string } == (1...count).map { "m\($0)" })

        // Reading bob's socket now finds the end of the session (its close frame, or the end
        // of the stream) behind a part of the messages, not all of them.
        let rest = try await raw.read(timeout: .seconds(120)) { _ in false }
        let end = try #require(rest.end, "bob's connection is still open after \(rest.frames.count) frames")
        #expect(end == .closeFrame || end == .endOfStream || end == .reset)
        let seqs = rest.frames.filter { $0.json?["type"]?.string == "message" }.compactMap { $0.json?["seq"]?.int }
        #expect(seqs.count < count)
        #expect(seqs == (0..<seqs.count).map { Int64($0 + 1) }, "what came before the end is a prefix, in order")
        raw.close()

        // Nothing was acknowledged: a normal client gets all of it, in order, once each.
        let b = try await bob.connect()
        let received = try await b.collect(count, type: "message", timeout: .seconds(300))
        #expect(received.map { $0["seq"]?.int } == (1...count).map { Int64($0) })
        #expect(received.map { $0["body"]?.string } == (1...count).map { "\($0) \(padding)" })
        #expect(received.map { $0["from"]?.string } == Array(repeating: alice.id, count: count))
        let dseqs = received.compactMap { $0["dseq"]?.int }
        #expect(dseqs.count == count && zip(dseqs, dseqs.dropFirst()).allSatisfy { $0 < $1 }, "dseq strictly increasing")
        #expect(try await b.drain(for: .seconds(2)).filter { $0["type"]?.string == "message" }.isEmpty)
        // Only the non-reading session was closed for being behind.
        #expect(server.output?.stderr.components(separatedBy: closing).count == 2, "\(server.output?.stderr ?? "")")

        await b.close()
        await a.close()
        try await server.stop()
    }
}

// MARK: - A client that does not read

/// The client side of a WebSocket (RFC 6455) over a plain socket, reading only when asked:
/// between reads the server's frames back up in the socket's small receive buffer, and then
/// in the server. Non-blocking, so that waiting never holds a thread of the task pool.
private final class RawWebSocket {
    struct Frame: CustomStringConvertible {
        var opcode: UInt8
        var payload: [UInt8]

        var text: String? { opcode == 0x1 ? String(decoding: payload, as: UTF8.self) : nil }
        var json: JSONValue? { text.flatMap { try? JSONValue(parsing: $0) } }
        var description: String { text.map { String($0.prefix(80)) } ?? "opcode \(opcode), \(payload.count) bytes" }
    }

    enum End: Equatable {
        case closeFrame, endOfStream, reset
    }

    struct Reading: CustomStringConvertible {
        var frames: [Frame]
        /// How the connection ended; nil while it is open.
        var end: End?
        var description: String { "\(frames.count) frames (\(frames.prefix(3))), end: \(end.map { "\($0)" } ?? "none")" }
    }

    private let descriptor: Int32
    /// Received bytes not yet parsed into frames.
    private var pending: [UInt8] = []
    private var isClosed = false

    private init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    deinit {
        close()
    }

    /// Connects with a receive buffer of about `receiveBuffer` bytes (set before connecting,
    /// so the window the server sees is small too) and completes the opening handshake.
    static func connect(host: String, port: Int, token: String, receiveBuffer: Int32) async throws -> RawWebSocket {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ChildProcess.Failure(description: "socket: errno \(errno)") }
        let socket = RawWebSocket(descriptor: fd)
        var size = receiveBuffer
        guard setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size)) == 0 else {
            throw ChildProcess.Failure(description: "SO_RCVBUF: errno \(errno)")
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else { throw ChildProcess.Failure(description: "not an IPv4 address: \(host)") }
        // Loopback: the connect completes at once.
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw ChildProcess.Failure(description: "connect to \(host):\(port): errno \(errno)") }
        guard fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) == 0 else { throw ChildProcess.Failure(description: "O_NONBLOCK: errno \(errno)") }

        let key = Data((0..<16).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
        let target = "/v1/ws?token=\(token.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed) ?? token)"
        let request = [
            "GET \(target) HTTP/1.1", "Host: \(host):\(port)", "Upgrade: websocket", "Connection: Upgrade",
            "Sec-WebSocket-Key: \(key)", "Sec-WebSocket-Version: 13", "", "",
        ].joined(separator: "\r\n")
        try await socket.write(Array(request.utf8))

        let headEnd = Array("\r\n\r\n".utf8)
        let deadline = ContinuousClock.now + .seconds(30)
        while true {
            if let range = socket.pending.firstRange(of: headEnd) {
                let head = String(decoding: socket.pending[..<range.lowerBound], as: UTF8.self)
                socket.pending.removeSubrange(..<range.upperBound)
                guard head.hasPrefix("HTTP/1.1 101") else { throw ChildProcess.Failure(description: "upgrade refused: \(head)") }
                return socket
            }
            guard ContinuousClock.now < deadline else { throw ChildProcess.Failure(description: "no upgrade response within 30 s") }
            if try socket.receive() == nil { throw ChildProcess.Failure(description: "connection ended during the handshake") }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    /// Sends one masked text frame.
    func send(text: String) async throws {
        let payload = Array(text.utf8)
        precondition(payload.count < 126, "short frames only")
        let mask = (0..<4).map { _ in UInt8.random(in: 0...255) }
        var frame: [UInt8] = [0x81, 0x80 | UInt8(payload.count)] + mask
        frame += payload.enumerated().map { $0.element ^ mask[$0.offset % 4] }
        try await write(frame)
    }

    /// Reads until a frame satisfies `stop`, the connection ends, or `timeout` passes; returns
    /// the frames read (the one that stopped it last) and how the connection ended, if it did.
    func read(timeout: Duration, until stop: (Frame) -> Bool) async throws -> Reading {
        var reading = Reading(frames: [])
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            while let frame = nextFrame() {
                reading.frames.append(frame)
                if frame.opcode == 0x8 {
                    reading.end = .closeFrame
                    return reading
                }
                if stop(frame) { return reading }
            }
            let received: Int?
            do {
                received = try receive()
            } catch is Reset {
                reading.end = .reset
                return reading
            }
            guard let received else {
                reading.end = .endOfStream
                return reading
            }
            if received == 0 { try await Task.sleep(for: .milliseconds(5)) }
        }
        return reading
    }

    func close() {
        guard !isClosed else { return }
        isClosed = true
        Glibc.close(descriptor)
    }

    // MARK: - Bytes

    /// Appends what the socket holds to `pending`: the byte count (0 if nothing is there
    /// yet), or nil at the end of the stream.
    private func receive() throws -> Int? {
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        let got = recv(descriptor, &chunk, chunk.count, 0)
        if got > 0 {
            pending += chunk[..<got]
            return got
        }
        if got == 0 { return nil }
        switch errno {
        case EAGAIN, EWOULDBLOCK, EINTR: return 0
        case ECONNRESET: throw Reset()
        default: throw ChildProcess.Failure(description: "recv: errno \(errno)")
        }
    }

    struct Reset: Error {}

    private func write(_ bytes: [UInt8]) async throws {
        var done = 0
        while done < bytes.count {
            let written = bytes[done...].withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if written >= 0 {
                done += written
            } else if errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR {
                try await Task.sleep(for: .milliseconds(5))
            } else {
                throw ChildProcess.Failure(description: "send: errno \(errno)")
            }
        }
    }

    /// Takes one whole frame off `pending` (a server's frames are not masked).
    private func nextFrame() -> Frame? {
        guard pending.count >= 2 else { return nil }
        let opcode = pending[0] & 0x0F
        let masked = pending[1] & 0x80 != 0
        var length = Int(pending[1] & 0x7F)
        var offset = 2
        if length == 126 {
            guard pending.count >= 4 else { return nil }
            length = Int(pending[2]) << 8 | Int(pending[3])
            offset = 4
        } else if length == 127 {
            guard pending.count >= 10 else { return nil }
            length = pending[2..<10].reduce(0) { $0 << 8 | Int($1) }
            offset = 10
        }
        let maskKey: [UInt8]? = masked ? Array(pending.dropFirst(offset).prefix(4)) : nil
        if masked { offset += 4 }
        guard pending.count >= offset + length else { return nil }
        var payload = Array(pending[offset..<offset + length])
        if let maskKey { payload = payload.enumerated().map { $0.element ^ maskKey[$0.offset % 4] } }
        pending.removeSubrange(..<(offset + length))
        return Frame(opcode: opcode, payload: payload)
    }
}
