import ChatClient
import Foundation

/// Uploading a file as media, for `upload` and for `send --media FILE`.
enum MediaUpload {
    /// Uploads the file and returns the server's answer (`media_id`, `size`, `content_type`).
    static func upload(_ file: String, contentType: String?, session: ServerSession) async throws(ClientFailure) -> JSONValue {
        let answer = try await session.upload(file: file, contentType: contentType ?? Self.contentType(of: file))
        guard answer["media_id"]?.string != nil else {
            throw ClientFailure("bad_response", "POST /v1/media answered without a media_id: \(answer)")
        }
        return answer
    }

    /// The content type of common files by extension; others are sent as opaque bytes.
    static func contentType(of file: String) -> String {
        types[URL(fileURLWithPath: file).pathExtension.lowercased()] ?? "application/octet-stream"
    }

    private static let types = [
        "jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png", "gif": "image/gif", "webp": "image/webp",
        "heic": "image/heic", "mp4": "video/mp4", "mov": "video/quicktime", "webm": "video/webm", "mp3": "audio/mpeg",
        "m4a": "audio/mp4", "ogg": "audio/ogg", "opus": "audio/opus", "wav": "audio/wav", "pdf": "application/pdf",
        "txt": "text/plain", "json": "application/json", "zip": "application/zip",
    ]
}
