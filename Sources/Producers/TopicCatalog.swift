import Foundation

/// The chat's topics: names, partition counts and configs, read from `kafka/topics.json`, the
/// one file that both `chat` and the scripts in kafka/ use.
public struct TopicCatalog: Codable, Sendable, Equatable {
    public struct Topic: Codable, Sendable, Equatable {
        public var name: String
        public var role: Role
        public var partitions: Int32
        public var configs: [String: String]
        public var description: String?
    }

    /// What a topic is for, so code refers to roles and operators may rename topics.
    public enum Role: String, Codable, Sendable, CaseIterable {
        case accounts
        case conversations
        case inbox
        case cursors
        case presence
        case ephemeral
        case media
    }

    public struct Invalid: Error, CustomStringConvertible {
        public var description: String
    }

    public var topics: [Topic]

    public init(topics: [Topic]) throws {
        self.topics = topics
        try validate()
    }

    public subscript(role: Role) -> Topic {
        topics.first { $0.role == role }!
    }

    /// Topics keyed by user must share one partition count, so a user's records of every kind
    /// sit in partitions of the same number.
    public static let userAligned: [Role] = [.inbox, .cursors, .presence]

    /// The partition holding `user`'s records in every user-aligned topic.
    public func userPartition(_ user: String) -> Int32 {
        Partitioner.partition(for: user, count: self[.inbox].partitions)
    }

    private func validate() throws {
        for role in Role.allCases where topics.filter({ $0.role == role }).count != 1 {
            throw Invalid(description: "the topic file must define exactly one topic with role \(role.rawValue)")
        }
        let counts = Set(Self.userAligned.map { self[$0].partitions })
        guard counts.count == 1 else {
            throw Invalid(description: "topics \(Self.userAligned.map { self[$0].name }) must have the same partition count")
        }
        if let bad = topics.first(where: { $0.partitions < 1 }) {
            throw Invalid(description: "topic \(bad.name) needs at least one partition")
        }
    }

    // MARK: - Loading

    public static func load(path: String) throws -> TopicCatalog {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw Invalid(description: "cannot read the topic file \(path)")
        }
        let decoded = try JSONDecoder().decode(TopicCatalog.self, from: data)
        return try TopicCatalog(topics: decoded.topics)
    }

    /// The topic file: `explicit`, else `CHAT_TOPICS`, else `kafka/topics.json` in the
    /// working directory or next to the repository the binary was built in.
    public static func locate(explicit: String? = nil) throws -> TopicCatalog {
        var candidates: [String] = []
        if let explicit { candidates.append(explicit) }
        if let environment = ProcessInfo.processInfo.environment["CHAT_TOPICS"] { candidates.append(environment) }
        candidates.append("kafka/topics.json")
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for levels in 1...4 {
            var directory = binary
            for _ in 0..<levels { directory.deleteLastPathComponent() }
            candidates.append(directory.appendingPathComponent("kafka/topics.json").path)
        }
        guard let path = candidates.first(where: { FileManager.default.fileExists(atPath: $0) }) else {
            throw Invalid(description: "no topic file found (tried \(candidates.joined(separator: ", "))); pass --topics FILE")
        }
        return try load(path: path)
    }
}
