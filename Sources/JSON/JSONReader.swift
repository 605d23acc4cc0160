/// A pull parser over one JSON text (RFC 8259), for reading known shapes field by field
/// without building a tree or going through `Codable`: the events and frames on the hot path
/// are read with it, one pass over their bytes.
///
/// ```swift
/// var json = JSONReader(data)
/// try json.beginObject()
/// while let key = try json.nextKey() {
///     switch key {
///     case "seq": seq = try json.readInt()
///     default: try json.skipValue()
///     }
/// }
/// try json.finish()
/// ```
///
/// Invalid UTF-8 inside strings is replaced by U+FFFD rather than refused (what arrives here
/// is either our own output or a WebSocket text frame, which is valid UTF-8 already).
public struct JSONReader {
    /// What the next value is, from its first byte.
    public enum Kind: Sendable, Equatable {
        case object, array, string, number, bool, null
    }

    /// Containers deeper than this are refused rather than followed (a hostile input must
    /// not exhaust the stack).
    public static let maxDepth = 256

    private let bytes: [UInt8]
    private var position = 0
    /// Set by `beginObject`/`beginArray`: the next member needs no comma before it.
    private var atContainerStart = false

    public init(_ bytes: some Sequence<UInt8>) {
        self.bytes = Array(bytes)
    }

    public init(_ text: String) {
        bytes = Array(text.utf8)
    }

    // MARK: - Containers

    public mutating func beginObject() throws(JSONError) {
        try expect(.openBrace, "an object")
        atContainerStart = true
    }

    /// The next member's key, with the reader left at its value; nil after the closing brace.
    public mutating func nextKey() throws(JSONError) -> String? {
        guard try nextMember(closedBy: .closeBrace) else { return nil }
        let key = try readString()
        try expect(.colon, "\":\" after a key")
        return key
    }

    public mutating func beginArray() throws(JSONError) {
        try expect(.openBracket, "an array")
        atContainerStart = true
    }

    /// Whether another element follows (the reader is then at it); false after the closing bracket.
    public mutating func nextElement() throws(JSONError) -> Bool {
        try nextMember(closedBy: .closeBracket)
    }

    private mutating func nextMember(closedBy close: UInt8) throws(JSONError) -> Bool {
        skipWhitespace()
        guard position < bytes.count else { throw failure("unexpected end of input") }
        if bytes[position] == close {
            position += 1
            atContainerStart = false
            return false
        }
        if atContainerStart {
            atContainerStart = false
        } else {
            try expect(.comma, close == .closeBrace ? "\",\" or \"}\"" : "\",\" or \"]\"")
        }
        return true
    }

    // MARK: - Values

    /// The kind of the next value, or nil at the end of the input or at a byte no value starts with.
    public mutating func peek() -> Kind? {
        skipWhitespace()
        guard position < bytes.count else { return nil }
        switch bytes[position] {
        case .openBrace: return .object
        case .openBracket: return .array
        case .quote: return .string
        case .minus, .zero ... .nine: return .number
        case UInt8(ascii: "t"), UInt8(ascii: "f"): return .bool
        case UInt8(ascii: "n"): return .null
        default: return nil
        }
    }

    public mutating func readString() throws(JSONError) -> String {
        try expect(.quote, "a string")
        let start = position
        // Most strings have no escapes: they are taken as one slice.
        while position < bytes.count {
            let byte = bytes[position]
            if byte == .quote {
                defer { position += 1 }
                return String(decoding: bytes[start..<position], as: UTF8.self)
            }
            if byte == .backslash { break }
            if byte < 0x20 { throw failure("a control character inside a string") }
            position += 1
        }
        var unescaped = Array(bytes[start..<position])
        while position < bytes.count {
            let byte = bytes[position]
            position += 1
            switch byte {
            case .quote:
                return String(decoding: unescaped, as: UTF8.self)
            case .backslash:
                try readEscape(into: &unescaped)
            case ..<0x20:
                throw failure("a control character inside a string")
            default:
                unescaped.append(byte)
            }
        }
        throw failure("an unterminated string")
    }

    /// A string, or nil for `null`.
    public mutating func readOptionalString() throws(JSONError) -> String? {
        try readNull() ? nil : readString()
    }

    /// An integer that fits in 64 bits; a fraction or an exponent is refused.
    public mutating func readInt() throws(JSONError) -> Int64 {
        skipWhitespace()
        let negative = position < bytes.count && bytes[position] == .minus
        if negative { position += 1 }
        let start = position
        var value: Int64 = 0
        while position < bytes.count, case .zero ... .nine = bytes[position] {
            let digit = Int64(bytes[position] - .zero)
            let (shifted, overflowA) = value.multipliedReportingOverflow(by: 10)
            // Accumulated negatively so Int64.min fits.
            let (next, overflowB) = shifted.subtractingReportingOverflow(digit)
            guard !overflowA && !overflowB else { throw failure("an integer outside 64 bits") }
            value = next
            position += 1
        }
        guard position > start else { throw failure("an integer") }
        guard bytes[start] != .zero || position == start + 1 else { throw failure("an integer without leading zeros") }
        if position < bytes.count, bytes[position] == .dot || bytes[position] | 0x20 == UInt8(ascii: "e") {
            throw failure("an integer, not a fraction")
        }
        if negative { return value }
        guard value != .min else { throw failure("an integer outside 64 bits") }
        return -value
    }

    /// Any JSON number, as a `Double`.
    public mutating func readNumber() throws(JSONError) -> Double {
        skipWhitespace()
        let start = position
        if position < bytes.count, bytes[position] == .minus { position += 1 }
        guard position < bytes.count, case .zero ... .nine = bytes[position] else { throw failure("a number") }
        if bytes[position] == .zero {
            position += 1
        } else {
            skipDigits()
        }
        if position < bytes.count, bytes[position] == .dot {
            position += 1
            guard skipDigits() > 0 else { throw failure("digits after the decimal point") }
        }
        if position < bytes.count, bytes[position] | 0x20 == UInt8(ascii: "e") {
            position += 1
            if position < bytes.count, bytes[position] == .plus || bytes[position] == .minus { position += 1 }
            guard skipDigits() > 0 else { throw failure("digits in the exponent") }
        }
        guard let value = Double(String(decoding: bytes[start..<position], as: UTF8.self)) else {
            throw failure("a number")
        }
        return value
    }

    public mutating func readBool() throws(JSONError) -> Bool {
        if try readLiteral("true") { return true }
        if try readLiteral("false") { return false }
        throw failure("true or false")
    }

    /// Consumes a `null` if that is what comes next.
    public mutating func readNull() throws(JSONError) -> Bool {
        try readLiteral("null")
    }

    /// An array of strings, or nil for `null`.
    public mutating func readStrings() throws(JSONError) -> [String]? {
        if try readNull() { return nil }
        var strings: [String] = []
        try beginArray()
        while try nextElement() { strings.append(try readString()) }
        return strings
    }

    /// Steps over the next value, whatever it is (a field this reader does not know).
    public mutating func skipValue() throws(JSONError) {
        try skipValue(depth: 0)
    }

    private mutating func skipValue(depth: Int) throws(JSONError) {
        guard depth < Self.maxDepth else { throw failure("containers nested at most \(Self.maxDepth) deep") }
        switch peek() {
        case .object:
            try beginObject()
            while try nextKey() != nil { try skipValue(depth: depth + 1) }
        case .array:
            try beginArray()
            while try nextElement() { try skipValue(depth: depth + 1) }
        case .string: _ = try readString()
        case .number: _ = try readNumber()
        case .bool: _ = try readBool()
        case .null: _ = try readNull()
        case nil: throw failure("a value")
        }
    }

    /// Checks that nothing but whitespace follows the value read.
    public mutating func finish() throws(JSONError) {
        skipWhitespace()
        guard position == bytes.count else { throw failure("the end of the input") }
    }

    // MARK: - Bytes

    private mutating func skipWhitespace() {
        while position < bytes.count {
            switch bytes[position] {
            case .space, .tab, .newline, .carriageReturn: position += 1
            default: return
            }
        }
    }

    @discardableResult
    private mutating func skipDigits() -> Int {
        let start = position
        while position < bytes.count, case .zero ... .nine = bytes[position] { position += 1 }
        return position - start
    }

    private mutating func expect(_ byte: UInt8, _ what: String) throws(JSONError) {
        skipWhitespace()
        guard position < bytes.count, bytes[position] == byte else { throw failure(what) }
        position += 1
    }

    private mutating func readLiteral(_ literal: StaticString) throws(JSONError) -> Bool {
        skipWhitespace()
        let count = literal.utf8CodeUnitCount
        guard position + count <= bytes.count else { return false }
        let matches = literal.withUTF8Buffer { expected in
            (0..<count).allSatisfy { bytes[position + $0] == expected[$0] }
        }
        guard matches else { return false }
        position += count
        return true
    }

    /// Reads what follows a backslash and appends the character's UTF-8 bytes.
    private mutating func readEscape(into output: inout [UInt8]) throws(JSONError) {
        guard position < bytes.count else { throw failure("an escape sequence") }
        let byte = bytes[position]
        position += 1
        switch byte {
        case .quote, .backslash, .slash: output.append(byte)
        case UInt8(ascii: "b"): output.append(0x08)
        case UInt8(ascii: "f"): output.append(0x0C)
        case UInt8(ascii: "n"): output.append(.newline)
        case UInt8(ascii: "r"): output.append(.carriageReturn)
        case UInt8(ascii: "t"): output.append(.tab)
        case UInt8(ascii: "u"):
            var code = UInt32(try readHex4())
            if (0xD800...0xDBFF).contains(code) {
                // A high surrogate must be followed by an escaped low one: together one character.
                guard position + 1 < bytes.count, bytes[position] == .backslash, bytes[position + 1] == UInt8(ascii: "u") else {
                    throw failure("a low surrogate after \\u\(String(code, radix: 16))")
                }
                position += 2
                let low = UInt32(try readHex4())
                guard (0xDC00...0xDFFF).contains(low) else { throw failure("a low surrogate") }
                code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
            }
            guard let scalar = Unicode.Scalar(code) else { throw failure("a character, not a lone surrogate") }
            UTF8.encode(scalar) { output.append($0) }
        default:
            throw failure("a valid escape sequence")
        }
    }

    private mutating func readHex4() throws(JSONError) -> UInt16 {
        guard position + 4 <= bytes.count else { throw failure("four hex digits") }
        var value: UInt16 = 0
        for _ in 0..<4 {
            let byte = bytes[position]
            let digit: UInt8
            switch byte {
            case .zero ... .nine: digit = byte - .zero
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw failure("four hex digits")
            }
            value = value << 4 | UInt16(digit)
            position += 1
        }
        return value
    }

    private func failure(_ expected: String) -> JSONError {
        JSONError("expected \(expected) at byte \(position)")
    }
}

extension UInt8 {
    static let openBrace = UInt8(ascii: "{")
    static let closeBrace = UInt8(ascii: "}")
    static let openBracket = UInt8(ascii: "[")
    static let closeBracket = UInt8(ascii: "]")
    static let quote = UInt8(ascii: "\"")
    static let backslash = UInt8(ascii: "\\")
    static let slash = UInt8(ascii: "/")
    static let colon = UInt8(ascii: ":")
    static let comma = UInt8(ascii: ",")
    static let minus = UInt8(ascii: "-")
    static let plus = UInt8(ascii: "+")
    static let dot = UInt8(ascii: ".")
    static let zero = UInt8(ascii: "0")
    static let nine = UInt8(ascii: "9")
    static let space = UInt8(ascii: " ")
    static let tab = UInt8(ascii: "\t")
    static let newline = UInt8(ascii: "\n")
    static let carriageReturn = UInt8(ascii: "\r")
}
