import Foundation
import JSON

/// A JSON value that can cross tasks: what clients read from the server's frames and bodies.
public enum JSONValue: Sendable, Equatable, CustomStringConvertible {
    case string(String)
    case number(Double)
    case bool(Bool)
    case null
    case array([JSONValue])
    case object([String: JSONValue])

    public init(parsing data: Data) throws {
        try self.init(reading: JSONReader(data))
    }

    public init(parsing text: String) throws {
        try self.init(reading: JSONReader(text))
    }

    private init(reading reader: JSONReader) throws(JSONError) {
        var reader = reader
        self = try Self.read(from: &reader, depth: 0)
        try reader.finish()
    }

    private static func read(from reader: inout JSONReader, depth: Int) throws(JSONError) -> JSONValue {
        guard depth < JSONReader.maxDepth else { throw JSONError("containers nested more than \(JSONReader.maxDepth) deep") }
        switch reader.peek() {
        case .object:
            var object: [String: JSONValue] = [:]
            try reader.beginObject()
            while let key = try reader.nextKey() { object[key] = try read(from: &reader, depth: depth + 1) }
            return .object(object)
        case .array:
            var array: [JSONValue] = []
            try reader.beginArray()
            while try reader.nextElement() { array.append(try read(from: &reader, depth: depth + 1)) }
            return .array(array)
        case .string: return .string(try reader.readString())
        case .number: return .number(try reader.readNumber())
        case .bool: return .bool(try reader.readBool())
        case .null:
            _ = try reader.readNull()
            return .null
        case nil: throw JSONError("expected a JSON value")
        }
    }

    public subscript(key: String) -> JSONValue? {
        if case .object(let object) = self { return object[key] }
        return nil
    }

    public subscript(index: Int) -> JSONValue? {
        if case .array(let array) = self, array.indices.contains(index) { return array[index] }
        return nil
    }

    public var string: String? { if case .string(let value) = self { value } else { nil } }
    public var int: Int64? { if case .number(let value) = self { Int64(exactly: value) } else { nil } }
    public var bool: Bool? { if case .bool(let value) = self { value } else { nil } }
    public var array: [JSONValue]? { if case .array(let value) = self { value } else { nil } }

    /// The value as Foundation objects, for JSONSerialization.
    public var any: Any {
        switch self {
        case .string(let value): value
        case .number(let value): value == value.rounded() && abs(value) < 9e15 ? Int64(value) as Any : value
        case .bool(let value): value
        case .null: NSNull()
        case .array(let values): values.map(\.any)
        case .object(let object): object.mapValues(\.any)
        }
    }

    public var description: String {
        guard let data = try? JSONSerialization.data(withJSONObject: any, options: [.sortedKeys, .fragmentsAllowed]) else { return "?" }
        return String(decoding: data, as: UTF8.self)
    }

    /// Encodes a Foundation object (dictionary of strings, numbers, arrays) as JSON text, keys
    /// sorted. Frames of strings, integers and booleans go through the JSON writer; anything
    /// else (a fraction, NSNumber) through JSONSerialization, which costs a load generator
    /// several times more per frame.
    public static func text(_ object: [String: Any]) -> String {
        var writer = JSONWriter()
        if write(object, to: &writer) { return writer.text }
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    /// False if `value` holds something the writer does not encode.
    private static func write(_ value: Any, to writer: inout JSONWriter) -> Bool {
        switch value {
        case let string as String: writer.string(string)
        case let bool as Bool: writer.bool(bool)
        case let int as Int: writer.int(Int64(int))
        case let int as Int64: writer.int(int)
        case is NSNull: writer.null()
        case let array as [Any]:
            writer.beginArray()
            for element in array where !write(element, to: &writer) { return false }
            writer.endArray()
        case let object as [String: Any]:
            writer.beginObject()
            for (key, member) in object.sorted(by: { $0.key < $1.key }) {
                writer.key(string: key)
                guard write(member, to: &writer) else { return false }
            }
            writer.endObject()
        default:
            return false
        }
        return true
    }
}
