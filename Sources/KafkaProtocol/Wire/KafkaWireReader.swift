public import NIOCore

/// Reads Kafka wire fields from a buffer. Every length and count is checked against what
/// remains before anything is allocated, so hostile input costs nothing but an error.
public struct KafkaWireReader: KafkaWireCoder {
    public typealias Failure = KafkaCodecError

    public var buffer: ByteBuffer
    public let version: Int16
    public let isFlexible: Bool

    public init(buffer: ByteBuffer, version: Int16, isFlexible: Bool) {
        self.buffer = buffer
        self.version = version
        self.isFlexible = isFlexible
    }

    // MARK: - Fixed width

    public mutating func int8(_ value: inout Int8) throws(KafkaCodecError) {
        value = try read(Int8.self, "int8")
    }

    public mutating func int16(_ value: inout Int16) throws(KafkaCodecError) {
        value = try read(Int16.self, "int16")
    }

    public mutating func int32(_ value: inout Int32) throws(KafkaCodecError) {
        value = try read(Int32.self, "int32")
    }

    public mutating func int64(_ value: inout Int64) throws(KafkaCodecError) {
        value = try read(Int64.self, "int64")
    }

    public mutating func bool(_ value: inout Bool) throws(KafkaCodecError) {
        value = try read(Int8.self, "bool") != 0
    }

    private mutating func read<T: FixedWidthInteger>(_: T.Type, _ field: String) throws(KafkaCodecError) -> T {
        guard let value = buffer.readInteger(as: T.self) else { throw .truncated(field: field) }
        return value
    }

    // MARK: - Lengths

    /// Reads a string or bytes length: int16/int32 in classic versions, uvarint N+1 in flexible
    /// ones. Returns nil for null.
    private mutating func length(classicWidth: Int, field: String) throws(KafkaCodecError) -> Int? {
        let length: Int
        if isFlexible {
            let raw = try buffer.readUnsignedVarint(maxBytes: 5)
            guard raw > 0 else { return nil }
            length = Int(raw - 1)
        } else if classicWidth == 2 {
            length = Int(try read(Int16.self, field))
        } else {
            length = Int(try read(Int32.self, field))
        }
        if length < 0 {
            guard length == -1 else { throw .invalidLength(field: field, length: length) }
            return nil
        }
        guard length <= buffer.readableBytes else { throw .invalidLength(field: field, length: length) }
        return length
    }

    /// Reads an array count; every element takes at least one byte, which bounds the count.
    private mutating func count(_ field: String) throws(KafkaCodecError) -> Int? {
        try length(classicWidth: 4, field: field)
    }

    // MARK: - Strings and bytes

    public mutating func string(_ value: inout String) throws(KafkaCodecError) {
        guard let string = try readString() else { throw .invalidLength(field: "string", length: -1) }
        value = string
    }

    public mutating func nullableString(_ value: inout String?) throws(KafkaCodecError) {
        value = try readString()
    }

    private mutating func readString() throws(KafkaCodecError) -> String? {
        guard let length = try length(classicWidth: 2, field: "string") else { return nil }
        return buffer.readString(length: length)
    }

    public mutating func bytes(_ value: inout ByteBuffer) throws(KafkaCodecError) {
        guard let bytes = try readBytes() else { throw .invalidLength(field: "bytes", length: -1) }
        value = bytes
    }

    public mutating func nullableBytes(_ value: inout ByteBuffer?) throws(KafkaCodecError) {
        value = try readBytes()
    }

    private mutating func readBytes() throws(KafkaCodecError) -> ByteBuffer? {
        guard let length = try length(classicWidth: 4, field: "bytes") else { return nil }
        return buffer.readSlice(length: length)
    }

    // MARK: - Arrays

    public mutating func array<Element: KafkaWireStruct>(_ value: inout [Element]) throws(KafkaCodecError) {
        value = try readArray() ?? []
    }

    public mutating func nullableArray<Element: KafkaWireStruct>(_ value: inout [Element]?) throws(KafkaCodecError) {
        value = try readArray()
    }

    private mutating func readArray<Element: KafkaWireStruct>() throws(KafkaCodecError) -> [Element]? {
        guard let count = try count("array") else { return nil }
        var elements: [Element] = []
        // The count is bounded by the bytes left, not by what elements need: reserve little
        // and let a lying count fail on the first missing element.
        elements.reserveCapacity(min(count, 1024))
        for _ in 0..<count {
            var element = Element()
            try element.serialize(&self)
            if isFlexible { try taggedFields() }
            elements.append(element)
        }
        return elements
    }

    public mutating func int32Array(_ value: inout [Int32]) throws(KafkaCodecError) {
        let count = try count("int32 array") ?? 0
        guard count * 4 <= buffer.readableBytes else { throw .invalidLength(field: "int32 array", length: count) }
        value = []
        value.reserveCapacity(count)
        for _ in 0..<count { value.append(try read(Int32.self, "int32 array")) }
    }

    public mutating func stringArray(_ value: inout [String]) throws(KafkaCodecError) {
        var strings: [String]? = nil
        try nullableStringArray(&strings)
        value = strings ?? []
    }

    public mutating func nullableStringArray(_ value: inout [String]?) throws(KafkaCodecError) {
        guard let count = try count("string array") else {
            value = nil
            return
        }
        var strings: [String] = []
        strings.reserveCapacity(min(count, 1024))
        for _ in 0..<count {
            var string = ""
            try self.string(&string)
            strings.append(string)
        }
        value = strings
    }

    // MARK: - Tagged fields

    public mutating func taggedFields() throws(KafkaCodecError) {
        let count = try buffer.readUnsignedVarint(maxBytes: 5)
        for _ in 0..<count {
            _ = try buffer.readUnsignedVarint(maxBytes: 5)
            let size = try buffer.readUnsignedVarint(maxBytes: 5)
            guard size <= UInt64(buffer.readableBytes) else {
                throw .invalidLength(field: "tagged field", length: Int(size))
            }
            buffer.moveReaderIndex(forwardBy: Int(size))
        }
    }
}
