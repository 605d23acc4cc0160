/// Why a Kafka frame, header, message or record batch could not be decoded.
///
/// The broker answers most of these by closing the connection with a log line, because a
/// request whose layout it cannot read cannot be answered in a layout the client can read.
public enum KafkaCodecError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The buffer ended before the named field was complete.
    case truncated(field: String)
    /// A length or count was negative where null is not allowed, or larger than what remains.
    case invalidLength(field: String, length: Int)
    /// A varint ran past 5 bytes (int32) or 10 bytes (int64).
    case malformedVarint
    /// The frame announced more bytes than the broker accepts in one request.
    case frameTooLarge(size: Int, limit: Int)
    /// The request named an API key this codec does not know.
    case unknownAPIKey(Int16)
    /// The request asked for a version outside what is advertised for its API.
    case unsupportedVersion(apiKey: Int16, version: Int16)
    /// Bytes were left over after the message was decoded.
    case trailingBytes(count: Int)

    public var description: String {
        switch self {
        case .truncated(let field): "truncated before \(field) was complete"
        case .invalidLength(let field, let length): "invalid length \(length) for \(field)"
        case .malformedVarint: "malformed varint"
        case .frameTooLarge(let size, let limit): "frame of \(size) bytes exceeds the limit of \(limit)"
        case .unknownAPIKey(let key): "unknown API key \(key)"
        case .unsupportedVersion(let key, let version): "unsupported version \(version) of API key \(key)"
        case .trailingBytes(let count): "\(count) unexpected bytes after the message"
        }
    }
}
