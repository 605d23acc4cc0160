import ChatClient
import Foundation

/// The server's HTTP API at one URL, with the protocol's errors turned into `ClientFailure`s.
struct ServerAPI {
    let url: String
    let http: HTTPClient

    init(url: String) throws(ClientFailure) {
        // The client speaks plain HTTP (no TLS in the build); a deployment terminates TLS in front.
        guard let components = URLComponents(string: url), components.scheme == "http", components.host != nil,
            let http = HTTPClient(url: url)
        else {
            throw ClientFailure("invalid_server", "the server must be an http://HOST[:PORT] URL, not '\(url)'")
        }
        self.url = url
        self.http = http
    }

    /// Sends a JSON request and returns the JSON answer (`.null` for an empty one, as `204`).
    func call(_ method: String, _ path: String, _ body: [String: Any]? = nil, token: String? = nil) async throws(ClientFailure) -> JSONValue {
        let response: HTTPResult
        do {
            response = try await http.json(method, path, body, token: token)
        } catch {
            throw .unreachable(url, error)
        }
        return try Self.answer(response, request: "\(method) \(path)")
    }

    /// Streams the file at `path` as a request body and returns the JSON answer.
    func upload(_ path: String, file: String, contentType: String, token: String) async throws(ClientFailure) -> JSONValue {
        guard FileManager.default.isReadableFile(atPath: file) else { throw ClientFailure("no_such_file", "cannot read \(file)") }
        let response: HTTPResult
        do {
            response = try await http.upload("POST", path, file: file, contentType: contentType, token: token)
        } catch let shrank as HTTPClient.FileShrank {
            throw ClientFailure("file_changed", shrank.description)
        } catch {
            throw .unreachable(url, error)
        }
        return try Self.answer(response, request: "POST \(path)")
    }

    private static func answer(_ response: HTTPResult, request: String) throws(ClientFailure) -> JSONValue {
        guard (200..<300).contains(response.status) else { throw ClientFailure(response: response, request: request) }
        if response.body.isEmpty { return .null }
        guard let json = response.json else {
            throw ClientFailure("bad_response", "\(request) answered \(response.status) with a body that is not JSON")
        }
        return json
    }
}
