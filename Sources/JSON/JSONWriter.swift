import Foundation

/// Writes one JSON text, value by value, into a byte array: the counterpart of
/// ``JSONReader`` for the events and frames on the hot path.
///
/// Output is compact; strings escape only what JSON requires (quote, backslash, control
/// characters), so non-ASCII text and `/` are written as they are. Fields come out in the
/// order they are written: writers that want stable bytes write them in a fixed order.
public struct JSONWriter {
    public private(set) var bytes: [UInt8] = []
    /// Whether the next value needs a comma before it.
    private var afterValue = false

    public init(capacity: Int = 256) {
        bytes.reserveCapacity(capacity)
    }

    public var data: Data { Data(bytes) }
    public var text: String { String(decoding: bytes, as: UTF8.self) }

    // MARK: - Containers

    public mutating func beginObject() { open(.openBrace) }
    public mutating func endObject() { close(.closeBrace) }
    public mutating func beginArray() { open(.openBracket) }
    public mutating func endArray() { close(.closeBracket) }

    private mutating func open(_ bracket: UInt8) {
        separate()
        bytes.append(bracket)
        afterValue = false
    }

    private mutating func close(_ bracket: UInt8) {
        bytes.append(bracket)
        afterValue = true
    }

    /// A member's key; its value is written next. Keys are literals that need no escaping.
    public mutating func key(_ key: StaticString) {
        separate()
        bytes.append(.quote)
        key.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(.quote)
        bytes.append(.colon)
        afterValue = false
    }

    /// A member's key that is not a literal (a dictionary's key), escaped like any string.
    public mutating func key(string key: String) {
        string(key)
        bytes.append(.colon)
        afterValue = false
    }

    // MARK: - Values

    public mutating func string(_ value: String) {
        separate()
        bytes.append(.quote)
        var value = value
        value.withUTF8 { utf8 in
            var run = 0
            for index in utf8.indices {
                let byte = utf8[index]
                guard byte < 0x20 || byte == .quote || byte == .backslash else { continue }
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[run..<index]))
                appendEscape(of: byte)
                run = index + 1
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[run...]))
        }
        bytes.append(.quote)
        afterValue = true
    }

    public mutating func int(_ value: Int64) {
        separate()
        if value < 0 { bytes.append(.minus) }
        // Digits from the magnitude, least significant first, then reversed in place.
        var magnitude = value.magnitude
        let start = bytes.count
        repeat {
            bytes.append(.zero + UInt8(magnitude % 10))
            magnitude /= 10
        } while magnitude > 0
        bytes[start...].reverse()
        afterValue = true
    }

    public mutating func bool(_ value: Bool) {
        separate()
        bytes.append(contentsOf: value ? Self.trueBytes : Self.falseBytes)
        afterValue = true
    }

    public mutating func null() {
        separate()
        bytes.append(contentsOf: Self.nullBytes)
        afterValue = true
    }

    public mutating func strings(_ values: [String]) {
        beginArray()
        for value in values { string(value) }
        endArray()
    }

    // MARK: - Optional fields (left out when nil)

    public mutating func field(_ name: StaticString, _ value: String?) {
        guard let value else { return }
        key(name)
        string(value)
    }

    public mutating func field(_ name: StaticString, _ value: Int64?) {
        guard let value else { return }
        key(name)
        int(value)
    }

    public mutating func field(_ name: StaticString, _ value: Bool?) {
        guard let value else { return }
        key(name)
        bool(value)
    }

    public mutating func field(_ name: StaticString, _ value: [String]?) {
        guard let value else { return }
        key(name)
        strings(value)
    }

    // MARK: - Bytes

    private static let trueBytes = Array("true".utf8)
    private static let falseBytes = Array("false".utf8)
    private static let nullBytes = Array("null".utf8)
    private static let hexDigits = Array("0123456789abcdef".utf8)

    private mutating func separate() {
        if afterValue { bytes.append(.comma) }
    }

    private mutating func appendEscape(of byte: UInt8) {
        bytes.append(.backslash)
        switch byte {
        case .quote, .backslash: bytes.append(byte)
        case .newline: bytes.append(UInt8(ascii: "n"))
        case .carriageReturn: bytes.append(UInt8(ascii: "r"))
        case .tab: bytes.append(UInt8(ascii: "t"))
        case 0x08: bytes.append(UInt8(ascii: "b"))
        case 0x0C: bytes.append(UInt8(ascii: "f"))
        default:
            bytes.append(contentsOf: [UInt8(ascii: "u"), .zero, .zero])
            bytes.append(Self.hexDigits[Int(byte >> 4)])
            bytes.append(Self.hexDigits[Int(byte & 0xF)])
        }
    }
}
