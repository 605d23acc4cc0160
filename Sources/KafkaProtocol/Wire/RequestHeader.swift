public import NIOCore

/// The header in front of every request body (request header v1, or v2 for flexible versions).
public struct RequestHeader: Hashable, Sendable {
    public var apiKey: Int16
    public var apiVersion: Int16
    public var correlationId: Int32
    public var clientId: String?

    public init(apiKey: Int16, apiVersion: Int16, correlationId: Int32, clientId: String?) {
        self.apiKey = apiKey
        self.apiVersion = apiVersion
        self.correlationId = correlationId
        self.clientId = clientId
    }

    /// The API, if this broker knows the key.
    public var api: APIKey? { APIKey(rawValue: apiKey) }

    /// Reads the header. The client id is a classic int16 string even in header v2; the tagged
    /// fields that follow it in v2 are skipped when the API and version are known to be flexible.
    public static func decode(from buffer: inout ByteBuffer) throws(KafkaCodecError) -> RequestHeader {
        var reader = KafkaWireReader(buffer: buffer, version: 1, isFlexible: false)
        var header = RequestHeader(apiKey: 0, apiVersion: 0, correlationId: 0, clientId: nil)
        try reader.int16(&header.apiKey)
        try reader.int16(&header.apiVersion)
        try reader.int32(&header.correlationId)
        try reader.nullableString(&header.clientId)
        if let api = header.api, api.isFlexible(header.apiVersion) {
            var flexible = KafkaWireReader(buffer: reader.buffer, version: header.apiVersion, isFlexible: true)
            try flexible.taggedFields()
            reader.buffer = flexible.buffer
        }
        buffer = reader.buffer
        return header
    }

    public func encode(into buffer: inout ByteBuffer) {
        var writer = KafkaWireWriter(buffer: buffer, version: 1, isFlexible: false)
        var copy = self
        writer.int16(&copy.apiKey)
        writer.int16(&copy.apiVersion)
        writer.int32(&copy.correlationId)
        writer.nullableString(&copy.clientId)
        if let api, api.isFlexible(apiVersion) { writer.buffer.writeInteger(UInt8(0)) }
        buffer = writer.buffer
    }
}

/// The header in front of every response body.
public enum ResponseHeader {
    /// Writes the correlation id, and the empty tag section of response header v1 when the
    /// response is flexible. ApiVersions always uses header v0, so clients can read it before
    /// they know which versions the broker speaks.
    public static func encode(correlationId: Int32, api: APIKey, version: Int16, into buffer: inout ByteBuffer) {
        buffer.writeInteger(correlationId)
        if api != .apiVersions, api.isFlexible(version) { buffer.writeInteger(UInt8(0)) }
    }

    /// Reads the correlation id (and skips the tag section where there is one).
    public static func decode(
        from buffer: inout ByteBuffer, api: APIKey, version: Int16
    ) throws(KafkaCodecError) -> Int32 {
        var rest = buffer
        guard let correlationId = rest.readInteger(as: Int32.self) else {
            throw .truncated(field: "correlation id")
        }
        if api != .apiVersions, api.isFlexible(version) {
            var reader = KafkaWireReader(buffer: rest, version: version, isFlexible: true)
            try reader.taggedFields()
            rest = reader.buffer
        }
        buffer = rest
        return correlationId
    }
}
