import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdWebSocket
import NIOCore

/// The request context of the gateway's routes.
public struct ChatRequestContext: RequestContext, WebSocketRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let webSocket: WebSocketHandlerReference<ChatRequestContext>
    /// The connection: the WebSocket route sets it up before the upgrade, and a session asks
    /// it whether its client reads.
    let channel: any Channel

    public init(source: Source) {
        coreContext = .init(source: source)
        webSocket = .init()
        channel = source.channel
    }
}

/// JSON in and out of the HTTP routes.
enum JSONBody {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return decoder
    }()

    static func response(_ status: HTTPResponse.Status, _ value: some Encodable) throws -> Response {
        let data = try encoder.encode(value)
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// Decodes the request body, answering 413 beyond `limit` and 400 for what is not the
    /// expected JSON.
    static func decode<Value: Decodable>(_: Value.Type, from request: Request, limit: Int) async throws -> Value {
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: limit)
        } catch {
            throw ChatError.tooLarge("the request body exceeds \(limit) bytes")
        }
        do {
            return try decoder.decode(Value.self, from: Data(buffer.readableBytesView))
        } catch DecodingError.keyNotFound(let key, _) {
            throw ChatError.invalid("\"\(key.stringValue.snakeCased)\" is required")
        } catch DecodingError.typeMismatch(_, let context) {
            throw ChatError.invalid("\"\(context.codingPath.map(\.stringValue.snakeCased).joined(separator: "."))\" has the wrong type")
        } catch {
            throw ChatError.malformed("the request body is not valid JSON")
        }
    }
}

extension String {
    var snakeCased: String {
        unicodeScalars.reduce(into: "") { result, scalar in
            if CharacterSet.uppercaseLetters.contains(scalar) {
                result += "_" + String(scalar).lowercased()
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
    }
}

/// Reads the bearer token of a request, from `Authorization: Bearer …` or `?token=`.
func bearerToken(_ request: Request) -> String? {
    if let header = request.headers[.authorization], header.hasPrefix("Bearer ") {
        return String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces)
    }
    return request.uri.queryParameters.get("token")
}
