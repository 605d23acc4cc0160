import Foundation
import KafkaProtocol
import Logging
import Synchronization

/// The broker's topics and their partition logs, kept under `<data>/topics/<name>/`.
///
/// A topic directory holds `topic.json` (partition count and config overrides) and one
/// directory per partition. `topic.json` is written last when a topic is created and removed
/// first when it is deleted, so a crash in between leaves a directory that startup discards.
final class LogManager: Sendable {
    struct Topic: Sendable {
        var name: String
        var partitions: [PartitionLog]
        /// Only the settings given at creation; the rest follow the broker defaults.
        var overrides: [String: String]
        var config: TopicConfig
        /// Internal topics (committed offsets) are hidden from clients.
        var isInternal: Bool
    }

    private struct Stored: Codable {
        var partitions: Int32
        var configs: [String: String]
    }

    enum CreateError: Error, Equatable {
        case invalidName(String)
        case alreadyExists
        case invalidPartitions
        case invalidConfig(String)
    }

    let directory: String
    let defaults: TopicConfig
    let flusher: Flusher
    private let topics: Mutex<[String: Topic]>
    private let logger: Logger

    private var topicsDirectory: String { "\(directory)/topics" }

    init(directory: String, defaults: TopicConfig, cleanShutdown: Bool, flusher: Flusher, logger: Logger) throws {
        self.directory = directory
        self.defaults = defaults
        self.flusher = flusher
        self.logger = logger
        self.topics = Mutex([:])
        let root = "\(directory)/topics"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        var loaded: [String: Topic] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: root).sorted() {
            let topicDirectory = "\(root)/\(name)"
            guard let data = FileManager.default.contents(atPath: "\(topicDirectory)/topic.json"),
                let stored = try? JSONDecoder().decode(Stored.self, from: data)
            else {
                logger.warning("removing an incomplete topic directory", metadata: ["directory": "\(topicDirectory)"])
                try? FileManager.default.removeItem(atPath: topicDirectory)
                continue
            }
            let config = (try? defaults.applying(stored.configs)) ?? defaults
            let partitions = try (0..<stored.partitions).map { index in
                try PartitionLog.open(
                    directory: "\(topicDirectory)/\(index)", topic: name, partition: index, config: config,
                    cleanShutdown: cleanShutdown, flusher: flusher, logger: logger
                )
            }
            loaded[name] = Topic(
                name: name, partitions: partitions, overrides: stored.configs, config: config,
                isInternal: name.hasPrefix("__")
            )
        }
        topics.withLock { $0 = loaded }
    }

    // MARK: - Lookup

    func topic(_ name: String) -> Topic? {
        topics.withLock { $0[name] }
    }

    func partition(_ topic: String, _ index: Int32) -> PartitionLog? {
        topics.withLock { topics in
            guard let topic = topics[topic], index >= 0, index < topic.partitions.count else { return nil }
            return topic.partitions[Int(index)]
        }
    }

    /// Every topic clients may see, by name.
    func visibleTopics() -> [Topic] {
        topics.withLock { $0.values.filter { !$0.isInternal }.sorted { $0.name < $1.name } }
    }

    func allPartitions() -> [PartitionLog] {
        topics.withLock { $0.values.flatMap(\.partitions) }
    }

    // MARK: - Creating and deleting

    /// Kafka's rule: 1–249 of `[a-zA-Z0-9._-]`, and not `.` or `..`.
    static func isValidName(_ name: String) -> Bool {
        guard !name.isEmpty, name.utf8.count <= 249, name != ".", name != ".." else { return false }
        return name.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == 0x2E || byte == 0x5F || byte == 0x2D
        }
    }

    /// Validates a topic without creating it.
    func check(name: String, partitions: Int32, configs: [String: String], allowInternal: Bool = false) throws(CreateError) -> TopicConfig {
        guard Self.isValidName(name), allowInternal || !name.hasPrefix("__") else {
            throw .invalidName("'\(name)' is not a legal topic name: use 1-249 of [a-zA-Z0-9._-], not starting with __")
        }
        guard partitions > 0 else { throw .invalidPartitions }
        let config: TopicConfig
        do { config = try defaults.applying(configs) } catch { throw .invalidConfig(error.description) }
        if topic(name) != nil { throw .alreadyExists }
        return config
    }

    @discardableResult
    func createTopic(name: String, partitions count: Int32, configs: [String: String], allowInternal: Bool = false) throws -> Topic {
        let config = try check(name: name, partitions: count, configs: configs, allowInternal: allowInternal)
        return try topics.withLock { topics in
            if let existing = topics[name] { return existing }
            let topicDirectory = "\(topicsDirectory)/\(name)"
            try FileManager.default.createDirectory(atPath: topicDirectory, withIntermediateDirectories: true)
            let partitions = try (0..<count).map { index in
                try PartitionLog.open(
                    directory: "\(topicDirectory)/\(index)", topic: name, partition: index, config: config,
                    cleanShutdown: false, flusher: flusher, logger: logger
                )
            }
            try writeDurably(JSONEncoder().encode(Stored(partitions: count, configs: configs)), to: "\(topicDirectory)/topic.json")
            try syncDirectory(topicsDirectory)
            let topic = Topic(name: name, partitions: partitions, overrides: configs, config: config, isInternal: name.hasPrefix("__"))
            topics[name] = topic
            logger.info("created topic", metadata: ["topic": "\(name)", "partitions": "\(count)"])
            return topic
        }
    }

    /// Deletes a topic and its files; false if there is no such topic.
    func deleteTopic(_ name: String) -> Bool {
        guard let topic = topics.withLock({ $0.removeValue(forKey: name) }) else { return false }
        let topicDirectory = "\(topicsDirectory)/\(name)"
        unlink("\(topicDirectory)/topic.json")
        try? syncDirectory(topicDirectory)
        for partition in topic.partitions { partition.deleteFiles() }
        try? FileManager.default.removeItem(atPath: topicDirectory)
        logger.info("deleted topic", metadata: ["topic": "\(name)"])
        return true
    }

    // MARK: - Maintenance

    func enforceRetention(now: Int64) {
        for partition in allPartitions() {
            do {
                try partition.enforceRetention(now: now)
            } catch {
                logger.error("retention failed", metadata: ["partition": "\(partition.topic)-\(partition.partition)", "error": "\(error)"])
            }
        }
    }

    func compact(now: Int64) {
        for partition in allPartitions() {
            do {
                if let summary = try partition.compact(now: now), summary.segmentsIn > 0 {
                    logger.info(
                        "compacted",
                        metadata: [
                            "partition": "\(partition.topic)-\(partition.partition)",
                            "segments": "\(summary.segmentsIn)→\(summary.segmentsOut)",
                            "bytes": "\(summary.bytesIn)→\(summary.bytesOut)",
                        ]
                    )
                }
            } catch {
                logger.error("compaction failed", metadata: ["partition": "\(partition.topic)-\(partition.partition)", "error": "\(error)"])
            }
        }
    }

    func close() throws {
        for partition in allPartitions() { try partition.close() }
    }
}
