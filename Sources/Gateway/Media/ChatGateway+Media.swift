import Consumers
import Foundation
import GRDB
import HTTPTypes
import Hummingbird
import Kafka
import NIOCore
import Producers
import Projections

extension ChatGateway {
    struct UploadedMedia: Encodable {
        var mediaId: String
        var size: Int64
        var contentType: String
    }

    func addMediaRoutes(to router: Router<ChatRequestContext>) {
        router.post("/v1/media") { [self] request, _ -> Response in
            let caller = try identity(request)
            let contentType = request.headers[.contentType] ?? "application/octet-stream"
            guard contentType.utf8.count <= 255, !contentType.contains("\n") else { throw ChatError.invalid("bad Content-Type") }
            if let declared = request.headers[.contentLength].flatMap(Int64.init), declared > media.limit {
                throw ChatError.tooLarge("media may be at most \(media.limit) bytes")
            }
            let stored: (id: String, size: Int64)
            do {
                stored = try await media.store(request.body.map { Array($0.readableBytesView) })
            } catch is MediaStore.TooLarge {
                throw ChatError.tooLarge("media may be at most \(media.limit) bytes")
            }
            let upload = MediaUploaded(mediaId: stored.id, size: stored.size, contentType: contentType, uploader: caller.u, ts: EventTime.now())
            let report = try await writer.append(upload, role: .media, key: stored.id)
            // Answer once this node can serve it (a `send` naming it may follow at once).
            guard await mediaIndex.applied.wait(for: report.offset, in: report.partition) else {
                throw ChatError.unavailable("the upload is stored but not yet readable; retry shortly")
            }
            let known = try await mediaIndex.database.writer.read { db in try MediaProjection.media(stored.id, in: db) }
            return try JSONBody.response(.created, UploadedMedia(
                mediaId: stored.id, size: stored.size, contentType: known?.contentType ?? contentType
            ))
        }
        router.get("/v1/media/:id") { [self] request, context -> Response in
            let caller = try identity(request)
            let id = context.parameters.get("id") ?? ""
            guard Identifiers.isMediaId(id) else { throw ChatError.notFound("no media \(id)") }
            let (known, allowed) = try await mediaIndex.database.writer.read { db in
                (try MediaProjection.media(id, in: db), try MediaProjection.mayRead(caller.u, media: id, in: db))
            }
            guard let known else { throw ChatError.notFound("no media \(id)") }
            guard allowed else { throw ChatError.forbidden("only the uploader and members of a conversation where it was sent may read it") }
            return try download(known, range: request.headers[.range])
        }
    }

    /// The file, whole or the one byte range asked for, streamed from disk in 64 KiB chunks.
    private func download(_ known: MediaProjection.Media, range header: String?) throws -> Response {
        let path = media.path(of: known.id)
        guard let handle = FileHandle(forReadingAtPath: path) else { throw ChatError.notFound("the bytes of \(known.id) are not on this node") }
        let size = known.size
        var first: Int64 = 0
        var last = size - 1
        var status = HTTPResponse.Status.ok
        var headers: HTTPFields = [.contentType: known.contentType, .acceptRanges: "bytes"]
        if let header {
            guard let range = Self.byteRange(header, size: size) else {
                try? handle.close()
                throw ChatError(.rangeNotSatisfiable, "range_not_satisfiable", "the range \(header) is outside the \(size) bytes")
            }
            (first, last) = range
            status = .partialContent
            headers[.contentRange] = "bytes \(first)-\(last)/\(size)"
        }
        let length = max(0, last - first + 1)
        let start = first
        headers[.contentLength] = String(length)
        let body = ResponseBody(contentLength: Int(length)) { writer in
            defer { try? handle.close() }
            try handle.seek(toOffset: UInt64(start))
            var remaining = length
            while remaining > 0 {
                let data = try handle.read(upToCount: Int(min(remaining, 64 << 10))) ?? Data()
                guard !data.isEmpty else { break }
                remaining -= Int64(data.count)
                try await writer.write(ByteBuffer(bytes: data))
            }
            try await writer.finish(nil)
        }
        return Response(status: status, headers: headers, body: body)
    }

    /// `bytes=a-b`, `bytes=a-` or `bytes=-n` within `size`; nil if unsatisfiable or not one range.
    static func byteRange(_ header: String, size: Int64) -> (Int64, Int64)? {
        guard header.hasPrefix("bytes="), !header.contains(","), size > 0 else { return nil }
        let spec = header.dropFirst(6).split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard spec.count == 2 else { return nil }
        if spec[0].isEmpty {
            guard let suffix = Int64(spec[1]), suffix > 0 else { return nil }
            return (max(0, size - suffix), size - 1)
        }
        guard let start = Int64(spec[0]), start < size else { return nil }
        let end = spec[1].isEmpty ? size - 1 : Int64(spec[1]).map { min($0, size - 1) }
        guard let end, end >= start else { return nil }
        return (start, end)
    }
}
