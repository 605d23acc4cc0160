/// What is wrong with a JSON text, or with the shape a reader expected of it.
public struct JSONError: Error, Equatable, CustomStringConvertible {
    public var description: String

    public init(_ description: String) {
        self.description = description
    }

    public static func missing(_ key: String) -> JSONError {
        JSONError("missing \"\(key)\"")
    }
}

extension Optional {
    /// The value of a field that must be present.
    public func required(_ key: String) throws(JSONError) -> Wrapped {
        guard let self else { throw .missing(key) }
        return self
    }
}
