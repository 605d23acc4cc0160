public import NIOCore

/// One record inside a record batch (magic 2). All integers are zig-zag varints.
public struct Record: Hashable, Sendable {
    public struct Header: Hashable, Sendable {
        public var key: String
        public var value: ByteBuffer?

        public init(key: String, value: ByteBuffer?) {
            self.key = key
            self.value = value
        }
    }

    public var attributes: Int8 = 0
    public var timestampDelta: Int64 = 0
    public var offsetDelta: Int32 = 0
    public var key: ByteBuffer?
    public var value: ByteBuffer?
    public var headers: [Header] = []

    public init(
        timestampDelta: Int64 = 0, offsetDelta: Int32 = 0, key: ByteBuffer?, value: ByteBuffer?,
        headers: [Header] = []
    ) {
        self.timestampDelta = timestampDelta
        self.offsetDelta = offsetDelta
        self.key = key
        self.value = value
        self.headers = headers
    }

    /// Appends the record with its length prefix.
    public func encode(into buffer: inout ByteBuffer) {
        var body = ByteBuffer()
        body.writeInteger(attributes)
        body.writeVarint(timestampDelta)
        body.writeVarint(offsetDelta)
        Self.writeNullable(key, into: &body)
        Self.writeNullable(value, into: &body)
        body.writeVarint(Int32(headers.count))
        for header in headers {
            body.writeVarint(Int32(header.key.utf8.count))
            body.writeString(header.key)
            Self.writeNullable(header.value, into: &body)
        }
        buffer.writeVarint(Int32(body.readableBytes))
        buffer.writeBuffer(&body)
    }

    /// Reads one length-prefixed record.
    public static func decode(from buffer: inout ByteBuffer) throws(KafkaCodecError) -> Record {
        let length = Int(try buffer.readVarint())
        guard length > 0, let slice = buffer.readSlice(length: length) else {
            throw .invalidLength(field: "record", length: length)
        }
        var body = slice
        guard let attributes = body.readInteger(as: Int8.self) else { throw .truncated(field: "record attributes") }
        var record = Record(key: nil, value: nil)
        record.attributes = attributes
        record.timestampDelta = try body.readVarlong()
        record.offsetDelta = try body.readVarint()
        record.key = try readNullable(from: &body, field: "record key")
        record.value = try readNullable(from: &body, field: "record value")
        let headerCount = Int(try body.readVarint())
        guard headerCount >= 0, headerCount <= body.readableBytes else {
            throw .invalidLength(field: "record headers", length: headerCount)
        }
        for _ in 0..<headerCount {
            let keyLength = Int(try body.readVarint())
            guard keyLength >= 0, let key = body.readString(length: keyLength) else {
                throw .invalidLength(field: "header key", length: keyLength)
            }
            record.headers.append(Header(key: key, value: try readNullable(from: &body, field: "header value")))
        }
        guard body.readableBytes == 0 else { throw .trailingBytes(count: body.readableBytes) }
        return record
    }

    private static func writeNullable(_ bytes: ByteBuffer?, into buffer: inout ByteBuffer) {
        guard let bytes else {
            buffer.writeVarint(Int32(-1))
            return
        }
        buffer.writeVarint(Int32(bytes.readableBytes))
        buffer.writeImmutableBuffer(bytes)
    }

    private static func readNullable(from buffer: inout ByteBuffer, field: String) throws(KafkaCodecError) -> ByteBuffer? {
        let length = Int(try buffer.readVarint())
        if length == -1 { return nil }
        guard length >= 0, let bytes = buffer.readSlice(length: length) else {
            throw .invalidLength(field: field, length: length)
        }
        return bytes
    }
}
