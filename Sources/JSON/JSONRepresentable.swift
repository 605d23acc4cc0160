import Foundation

/// A value that reads and writes itself as JSON, field by field, through ``JSONReader`` and
/// ``JSONWriter``.
public protocol JSONRepresentable {
    init(json: inout JSONReader) throws(JSONError)
    func write(to json: inout JSONWriter)
}

extension JSONRepresentable {
    /// Reads a whole text that holds one such value (only whitespace may follow it).
    public init(parsing bytes: some Sequence<UInt8>) throws(JSONError) {
        var json = JSONReader(bytes)
        self = try Self(json: &json)
        try json.finish()
    }

    /// The value as one JSON text.
    public var jsonData: Data {
        var json = JSONWriter()
        write(to: &json)
        return json.data
    }
}

/// A list of strings (media ids, for one) is read and written as a JSON array.
extension Array: JSONRepresentable where Element == String {
    public init(json: inout JSONReader) throws(JSONError) {
        guard let strings = try json.readStrings() else { throw JSONError("expected an array of strings, not null") }
        self = strings
    }

    public func write(to json: inout JSONWriter) {
        json.strings(self)
    }
}
