public import NIOCore

/// One side of Kafka's wire format: either reading fields out of a buffer or writing them in.
///
/// Every message describes its fields once, in ``KafkaWireStruct/serialize(_:)``, and the same
/// description drives both directions, so encode and decode cannot drift apart. Decoding fails
/// with ``KafkaCodecError``; encoding cannot fail, which its `Failure == Never` states.
public protocol KafkaWireCoder {
    associatedtype Failure: Error

    /// The API version the message is read or written at.
    var version: Int16 { get }
    /// Whether this version uses compact lengths and tagged fields (KIP-482).
    var isFlexible: Bool { get }

    mutating func int8(_ value: inout Int8) throws(Failure)
    mutating func int16(_ value: inout Int16) throws(Failure)
    mutating func int32(_ value: inout Int32) throws(Failure)
    mutating func int64(_ value: inout Int64) throws(Failure)
    mutating func bool(_ value: inout Bool) throws(Failure)
    mutating func string(_ value: inout String) throws(Failure)
    mutating func nullableString(_ value: inout String?) throws(Failure)
    mutating func bytes(_ value: inout ByteBuffer) throws(Failure)
    mutating func nullableBytes(_ value: inout ByteBuffer?) throws(Failure)
    mutating func array<Element: KafkaWireStruct>(_ value: inout [Element]) throws(Failure)
    mutating func nullableArray<Element: KafkaWireStruct>(_ value: inout [Element]?) throws(Failure)
    mutating func int32Array(_ value: inout [Int32]) throws(Failure)
    mutating func stringArray(_ value: inout [String]) throws(Failure)
    mutating func nullableStringArray(_ value: inout [String]?) throws(Failure)
    /// The tagged-field section that ends every struct of a flexible version. Written empty,
    /// skipped when read: no field this broker uses is tagged.
    mutating func taggedFields() throws(Failure)
}

/// A struct of Kafka's wire format: a message body or one element of an array inside one.
public protocol KafkaWireStruct: Hashable, Sendable {
    /// A value with every field at its default, which decoding then overwrites.
    init()
    /// Reads or writes every field in wire order, gated by `coder.version`.
    mutating func serialize<Coder: KafkaWireCoder>(_ coder: inout Coder) throws(Coder.Failure)
}

extension KafkaWireStruct {
    /// Decodes a value written at `version`, consuming exactly the bytes it occupies.
    public static func decode(
        from buffer: inout ByteBuffer, version: Int16, flexible: Bool = false
    ) throws(KafkaCodecError) -> Self {
        var reader = KafkaWireReader(buffer: buffer, version: version, isFlexible: flexible)
        var value = Self()
        try value.serialize(&reader)
        if flexible { try reader.taggedFields() }
        buffer = reader.buffer
        return value
    }

    /// Appends the value's wire form at `version` to `buffer`.
    public func encode(into buffer: inout ByteBuffer, version: Int16, flexible: Bool = false) {
        var writer = KafkaWireWriter(buffer: buffer, version: version, isFlexible: flexible)
        buffer = ByteBuffer()  // hand the storage to the writer so appending does not copy it
        var copy = self
        copy.serialize(&writer)
        if flexible { writer.taggedFields() }
        buffer = writer.buffer
    }
}

/// A request or response body of one API.
public protocol KafkaMessage: KafkaWireStruct {
    static var apiKey: APIKey { get }
}

extension KafkaMessage {
    /// Decodes the body of this message at `version`; flexibility follows from the API.
    public static func decode(from buffer: inout ByteBuffer, version: Int16) throws(KafkaCodecError) -> Self {
        try decode(from: &buffer, version: version, flexible: apiKey.isFlexible(version))
    }

    /// Encodes the body of this message at `version`; flexibility follows from the API.
    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        encode(into: &buffer, version: version, flexible: Self.apiKey.isFlexible(version))
    }
}
