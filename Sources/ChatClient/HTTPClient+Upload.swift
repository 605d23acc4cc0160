import Foundation
import NIOCore
import NIOHTTP1

extension HTTPClient {
    /// The size of the pieces a file body is read and written in.
    static let uploadChunkBytes = 64 << 10

    /// Sends the file at `file` as the request body, read and written in 64 KiB pieces, so an
    /// upload of any size holds one piece in memory. Each write waits until the connection
    /// takes it, so a slow server slows the reading down instead of queueing the file.
    ///
    /// - Throws: `CocoaError` if the file cannot be opened; connection errors as `request` does.
    public func upload(
        _ method: String, _ path: String, file: String, contentType: String, token: String? = nil,
        headers extra: [(String, String)] = []
    ) async throws -> HTTPResult {
        let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: file))
        defer { try? handle.close() }
        // The length is declared up front (the server refuses too large a body before reading it).
        let size = try handle.seekToEnd()
        try handle.seek(toOffset: 0)
        var headers = requestHeaders(token: token, extra: extra)
        headers.add(name: "Content-Type", value: contentType)
        headers.add(name: "Content-Length", value: String(size))
        let head = HTTPRequestHead(version: .http1_1, method: HTTPMethod(rawValue: method), uri: path, headers: headers)
        return try await exchange(head) { outbound in
            var remaining = size
            while remaining > 0 {
                let chunk = try handle.read(upToCount: Int(min(remaining, UInt64(Self.uploadChunkBytes)))) ?? Data()
                // A file that shrank while being sent cannot match its declared length.
                guard !chunk.isEmpty else { throw FileShrank(path: file, missing: remaining) }
                remaining -= UInt64(chunk.count)
                try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: chunk))))
            }
        }
    }

    /// The file ended before the length declared for it was sent.
    public struct FileShrank: Error, CustomStringConvertible {
        public var path: String
        public var missing: UInt64
        public var description: String { "\(path) became \(missing) bytes shorter while it was being sent" }
    }
}
