import Foundation
import JSON

/// An event of the chat, as stored in a Kafka record: its type and schema version travel in
/// the record headers (`type`, `v`), its body is JSON, readable with `kcat`.
///
/// Each event reads and writes its own JSON (not through `Codable`): every message is encoded
/// and decoded several times on its way, and a direct codec costs a fraction of `JSONEncoder`'s.
///
/// An event's `init(json:)` skips fields it does not know (a later version of the same schema
/// may add some); `write(to:)` writes one object with snake_case keys in sorted order, nil
/// fields left out.
public protocol ChatEvent: JSONRepresentable, Sendable, Equatable {
    /// The `type` header, e.g. `MessageSent`.
    static var type: String { get }
    /// The `v` header; bumped when the body changes incompatibly.
    static var version: Int { get }
}

/// The time events carry as `ts`: milliseconds since the Unix epoch, read where an event is
/// made (gateways, the inbox), never inside a fold, which must decide the same on every replay.
public enum EventTime {
    public static func now() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }
}

/// A record as the folds see it: where it is in the log and what it says, nothing of the
/// client library that read it.
public struct EventRecord: Sendable, Equatable {
    public var topic: String
    public var partition: Int32
    public var offset: Int64
    public var key: String
    public var type: String
    public var version: Int
    public var value: Data

    public init(topic: String, partition: Int32, offset: Int64, key: String, type: String, version: Int, value: Data) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.key = key
        self.type = type
        self.version = version
        self.value = value
    }

    /// Where the record came from, as a stable text (used to make derived records unique).
    public var position: String { "\(topic)/\(partition)@\(offset)" }
}

/// The bodies of events: JSON with snake_case keys in sorted order, so a record's bytes
/// depend only on its content.
public enum EventCoding {
    public static let typeHeader = "type"
    public static let versionHeader = "v"

    public static func encode<Event: ChatEvent>(_ event: Event) -> Data {
        event.jsonData
    }

    public static func decode<Event: ChatEvent>(_: Event.Type, from record: EventRecord) throws -> Event {
        guard record.type == Event.type else { throw EventDecodingError.wrongType(record.type, expected: Event.type) }
        guard record.version <= Event.version else { throw EventDecodingError.newerVersion(record.type, record.version) }
        return try Event(parsing: record.value)
    }
}

public enum EventDecodingError: Error, Equatable, CustomStringConvertible {
    case wrongType(String, expected: String)
    case newerVersion(String, Int)
    case unknownType(String)

    public var description: String {
        switch self {
        case .wrongType(let type, let expected): "record of type \(type) where \(expected) was expected"
        case .newerVersion(let type, let version): "\(type) v\(version) is newer than this build understands"
        case .unknownType(let type): "unknown event type \(type)"
        }
    }
}
