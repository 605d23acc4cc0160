import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// The answer to an HTTP request.
public struct HTTPResult: Sendable {
    public var status: Int
    public var headers: [(String, String)]
    public var body: Data

    public var json: JSONValue? { try? JSONValue(parsing: body) }

    public func header(_ name: String) -> String? {
        headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }
}

/// A minimal HTTP/1.1 client on SwiftNIO: one connection per request. Enough for the chat's
/// command-line client, tests and benchmarks, without pulling TLS into the build.
public struct HTTPClient: Sendable {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// `http://host:port` → a client for it.
    public init?(url: String) {
        guard let components = URLComponents(string: url), let host = components.host else { return nil }
        self.init(host: host, port: components.port ?? 80)
    }

    public func request(
        _ method: String, _ path: String, body: Data? = nil, contentType: String = "application/json",
        token: String? = nil, headers extra: [(String, String)] = []
    ) async throws -> HTTPResult {
        var headers = requestHeaders(token: token, extra: extra)
        if let body {
            headers.add(name: "Content-Type", value: contentType)
            headers.add(name: "Content-Length", value: String(body.count))
        }
        return try await exchange(HTTPRequestHead(version: .http1_1, method: HTTPMethod(rawValue: method), uri: path, headers: headers)) { outbound in
            if let body { try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: body)))) }
        }
    }

    /// The headers every request carries: one request per connection, and the bearer token.
    func requestHeaders(token: String?, extra: [(String, String)]) -> HTTPHeaders {
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: "\(host):\(port)")
        headers.add(name: "Connection", value: "close")
        if let token { headers.add(name: "Authorization", value: "Bearer \(token)") }
        for (name, value) in extra { headers.add(name: name, value: value) }
        return headers
    }

    /// Opens a connection, writes `head`, lets `writeBody` write the body parts, and reads the
    /// response. A server may answer (an error) and close before it has read the whole body:
    /// a failed body write then still returns that answer, and throws only if there is none.
    func exchange(
        _ head: HTTPRequestHead,
        writeBody: (NIOAsyncChannelOutboundWriter<HTTPClientRequestPart>) async throws -> Void
    ) async throws -> HTTPResult {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    return try NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>(wrappingChannelSynchronously: channel)
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            var writeError: (any Error)?
            do {
                try await outbound.write(.head(head))
                try await writeBody(outbound)
                try await outbound.write(.end(nil))
            } catch {
                writeError = error
            }
            var result = HTTPResult(status: 0, headers: [], body: Data())
            do {
                for try await part in inbound {
                    switch part {
                    case .head(let response):
                        result.status = Int(response.status.code)
                        result.headers = response.headers.map { ($0.name, $0.value) }
                    case .body(let buffer):
                        result.body.append(contentsOf: buffer.readableBytesView)
                    case .end:
                        return result
                    }
                }
            } catch {
                throw writeError ?? error
            }
            if let writeError, result.status == 0 { throw writeError }
            return result
        }
    }

    /// Sends a JSON object and returns the result.
    public func json(_ method: String, _ path: String, _ object: [String: Any]? = nil, token: String? = nil) async throws -> HTTPResult {
        let body = try object.map { try JSONSerialization.data(withJSONObject: $0, options: [.sortedKeys]) }
        return try await request(method, path, body: body, token: token)
    }
}
