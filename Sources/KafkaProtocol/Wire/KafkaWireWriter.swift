public import NIOCore

/// Writes Kafka wire fields into a buffer. It never fails, hence `Failure == Never`.
public struct KafkaWireWriter: KafkaWireCoder {
    public typealias Failure = Never

    public var buffer: ByteBuffer
    public let version: Int16
    public let isFlexible: Bool

    public init(buffer: ByteBuffer, version: Int16, isFlexible: Bool) {
        self.buffer = buffer
        self.version = version
        self.isFlexible = isFlexible
    }

    // MARK: - Fixed width

    public mutating func int8(_ value: inout Int8) { buffer.writeInteger(value) }
    public mutating func int16(_ value: inout Int16) { buffer.writeInteger(value) }
    public mutating func int32(_ value: inout Int32) { buffer.writeInteger(value) }
    public mutating func int64(_ value: inout Int64) { buffer.writeInteger(value) }
    public mutating func bool(_ value: inout Bool) { buffer.writeInteger(Int8(value ? 1 : 0)) }

    // MARK: - Lengths

    private mutating func writeLength(_ length: Int?, classicWidth: Int) {
        if isFlexible {
            buffer.writeUnsignedVarint(length.map { UInt64($0) + 1 } ?? 0)
        } else if classicWidth == 2 {
            buffer.writeInteger(Int16(length ?? -1))
        } else {
            buffer.writeInteger(Int32(length ?? -1))
        }
    }

    // MARK: - Strings and bytes

    public mutating func string(_ value: inout String) {
        writeString(value)
    }

    public mutating func nullableString(_ value: inout String?) {
        writeString(value)
    }

    private mutating func writeString(_ value: String?) {
        guard let value else { return writeLength(nil, classicWidth: 2) }
        writeLength(value.utf8.count, classicWidth: 2)
        buffer.writeString(value)
    }

    public mutating func bytes(_ value: inout ByteBuffer) {
        writeBytes(value)
    }

    public mutating func nullableBytes(_ value: inout ByteBuffer?) {
        writeBytes(value)
    }

    private mutating func writeBytes(_ value: ByteBuffer?) {
        guard let value else { return writeLength(nil, classicWidth: 4) }
        writeLength(value.readableBytes, classicWidth: 4)
        buffer.writeImmutableBuffer(value)
    }

    // MARK: - Arrays

    public mutating func array<Element: KafkaWireStruct>(_ value: inout [Element]) {
        writeArray(value)
    }

    public mutating func nullableArray<Element: KafkaWireStruct>(_ value: inout [Element]?) {
        writeArray(value)
    }

    private mutating func writeArray<Element: KafkaWireStruct>(_ value: [Element]?) {
        guard let value else { return writeLength(nil, classicWidth: 4) }
        writeLength(value.count, classicWidth: 4)
        for element in value {
            var element = element
            element.serialize(&self)
            if isFlexible { taggedFields() }
        }
    }

    public mutating func int32Array(_ value: inout [Int32]) {
        writeLength(value.count, classicWidth: 4)
        for element in value { buffer.writeInteger(element) }
    }

    public mutating func stringArray(_ value: inout [String]) {
        writeLength(value.count, classicWidth: 4)
        for element in value { writeString(element) }
    }

    public mutating func nullableStringArray(_ value: inout [String]?) {
        guard let value else { return writeLength(nil, classicWidth: 4) }
        writeLength(value.count, classicWidth: 4)
        for element in value { writeString(element) }
    }

    // MARK: - Tagged fields

    public mutating func taggedFields() {
        buffer.writeInteger(UInt8(0))
    }
}
