import Foundation
@testable import Broker
import KafkaProtocol
import NIOCore
import TestSupport
import Testing

@Suite struct LogManagerTests {
    private func openManager(_ root: TemporaryDirectory, cleanShutdown: Bool = false, flusher: Flusher) throws -> LogManager {
        try LogManager(directory: root.path, defaults: TopicConfig(), cleanShutdown: cleanShutdown, flusher: flusher, logger: silentLogger)
    }

    private func createError(_ body: () throws -> Void) -> LogManager.CreateError? {
        do {
            try body()
            return nil
        } catch let error as LogManager.CreateError {
            return error
        } catch {
            Issue.record("unexpected error \(error)")
            return nil
        }
    }

    // MARK: - Creating

    @Test func createMakesTheTopicsFilesAndPartitions() throws {
        let root = try TemporaryDirectory()
        let flusher = Flusher()
        let logs = try openManager(root, flusher: flusher)
        let topic = try logs.createTopic(name: "orders.v1", partitions: 3, configs: ["retention.ms": "60000", "segment.bytes": "2048"])
        #expect(topic.partitions.count == 3)
        #expect(topic.overrides == ["retention.ms": "60000", "segment.bytes": "2048"])
        #expect(topic.config.retentionMs == 60_000)
        #expect(topic.config.segmentBytes == 2048)
        #expect(topic.config.retentionBytes == TopicConfig().retentionBytes)
        #expect(!topic.isInternal)

        let directory = root.child("topics/orders.v1")
        #expect(FileManager.default.fileExists(atPath: "\(directory)/topic.json"))
        for index in 0..<3 {
            #expect(try StoredSegment.logFileBases(in: "\(directory)/\(index)") == [0])
            let partition = try #require(logs.partition("orders.v1", Int32(index)))
            #expect(partition.partition == Int32(index))
            #expect(partition.config == topic.config)
        }
        #expect(logs.partition("orders.v1", 3) == nil)
        #expect(logs.partition("orders.v1", -1) == nil)
        #expect(logs.partition("missing", 0) == nil)
        #expect(logs.visibleTopics().map(\.name) == ["orders.v1"])
    }

    @Test(arguments: ["", ".", "..", "a/b", "with space", "tab\t", "ümlaut", String(repeating: "x", count: 250), "__hidden"])
    func invalidNamesAreRejected(_ name: String) throws {
        let root = try TemporaryDirectory()
        let logs = try openManager(root, flusher: Flusher())
        let error = createError { try logs.createTopic(name: name, partitions: 1, configs: [:]) }
        guard case .invalidName = error else {
            Issue.record("'\(name)' gave \(String(describing: error))")
            return
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: root.child("topics")).isEmpty)
    }

    @Test(arguments: ["a", "A-Z_0.9", "_single", String(repeating: "x", count: 249)])
    func validNamesAreAccepted(_ name: String) throws {
        let root = try TemporaryDirectory()
        let logs = try openManager(root, flusher: Flusher())
        #expect(try logs.createTopic(name: name, partitions: 1, configs: [:]).name == name)
    }

    @Test func internalTopicsNeedPermissionAndAreHidden() throws {
        let root = try TemporaryDirectory()
        let logs = try openManager(root, flusher: Flusher())
        let topic = try logs.createTopic(name: "__consumer_offsets", partitions: 1, configs: ["cleanup.policy": "compact"], allowInternal: true)
        #expect(topic.isInternal)
        #expect(topic.config.cleanupPolicy == .compact)
        #expect(logs.topic("__consumer_offsets") != nil)
        #expect(logs.visibleTopics().isEmpty)
    }

    @Test(arguments: [Int32(0), -1, .min])
    func partitionCountMustBePositive(_ partitions: Int32) throws {
        let root = try TemporaryDirectory()
        let logs = try openManager(root, flusher: Flusher())
        #expect(createError { try logs.createTopic(name: "t", partitions: partitions, configs: [:]) } == .invalidPartitions)
        #expect(logs.topic("t") == nil)
    }

    static let badConfigs: [[String: String]] = [
        ["no.such.config": "1"],
        ["retention.ms": "soon"],
        ["retention.ms": "-2"],
        ["retention.bytes": "1.5"],
        ["segment.bytes": "13"],
        ["segment.ms": "0"],
        ["cleanup.policy": "forever"],
        ["min.cleanable.dirty.ratio": "1.5"],
        ["index.interval.bytes": "-1"],
        ["retention.ms": "1000", "bogus": "x"],
    ]

    @Test(arguments: badConfigs)
    func badConfigsAreRejected(_ configs: [String: String]) throws {
        let root = try TemporaryDirectory()
        let logs = try openManager(root, flusher: Flusher())
        let error = createError { try logs.createTopic(name: "t", partitions: 1, configs: configs) }
        guard case .invalidConfig(let message) = error else {
            Issue.record("\(configs) gave \(String(describing: error))")
            return
        }
        let named = configs.keys.filter { TopicConfig.names.contains($0) && configs.count == 1 || !TopicConfig.names.contains($0) }
        #expect(named.contains { message.contains($0) }, "\(message)")
        #expect(logs.topic("t") == nil)
        #expect(!FileManager.default.fileExists(atPath: root.child("topics/t")))
    }

    @Test func configValuesAreParsedAndPrinted() throws {
        let config = try TopicConfig().applying([
            "cleanup.policy": "delete, compact", "retention.ms": "-1", "retention.bytes": "1048576",
            "segment.bytes": "14", "min.cleanable.dirty.ratio": "0.25", "index.interval.bytes": "0",
        ])
        #expect(config.cleanupPolicy == .compactAndDelete)
        #expect(config.value(of: "cleanup.policy") == "compact,delete")
        #expect(config.value(of: "retention.ms") == "-1")
        #expect(config.value(of: "retention.bytes") == "1048576")
        #expect(config.value(of: "segment.bytes") == "14")
        #expect(config.value(of: "min.cleanable.dirty.ratio") == "0.25")
        #expect(config.value(of: "index.interval.bytes") == "0")
        #expect(config.value(of: "nonsense") == nil)
        #expect(TopicConfig.names.allSatisfy { TopicConfig().value(of: $0) != nil })
    }

    @Test func creatingAnExistingTopicFails() throws {
        let root = try TemporaryDirectory()
        let logs = try openManager(root, flusher: Flusher())
        try logs.createTopic(name: "t", partitions: 2, configs: [:])
        #expect(createError { try logs.createTopic(name: "t", partitions: 5, configs: [:]) } == .alreadyExists)
        #expect(logs.topic("t")?.partitions.count == 2)
    }

    // MARK: - Reopening

    @Test(.timeLimit(.minutes(1)), arguments: [true, false])
    func reopenListsTheSameTopicsWithTheirConfigs(cleanShutdown: Bool) async throws {
        let root = try TemporaryDirectory()
        let flusher = Flusher()
        flusher.start()
        defer { flusher.stop() }
        var logs = try openManager(root, flusher: flusher)
        try logs.createTopic(name: "b", partitions: 2, configs: ["retention.bytes": "4096", "cleanup.policy": "compact,delete"])
        try logs.createTopic(name: "a", partitions: 1, configs: [:])
        try logs.createTopic(name: "__internal", partitions: 1, configs: [:], allowInternal: true)
        let partition = try #require(logs.partition("b", 1))
        try await partition.appendAllDurably([try TestBatch(count: 3), try TestBatch(count: 2)])
        if cleanShutdown { try logs.close() }

        logs = try openManager(root, cleanShutdown: cleanShutdown, flusher: flusher)
        let topics = logs.visibleTopics()
        #expect(topics.map(\.name) == ["a", "b"])
        #expect(topics.map(\.partitions.count) == [1, 2])
        #expect(topics[0].overrides == [:])
        #expect(topics[0].config == TopicConfig())
        #expect(topics[1].overrides == ["retention.bytes": "4096", "cleanup.policy": "compact,delete"])
        #expect(topics[1].config.retentionBytes == 4096)
        #expect(topics[1].config.cleanupPolicy == .compactAndDelete)
        #expect(logs.topic("__internal")?.isInternal == true)
        #expect(logs.allPartitions().count == 4)
        let reopened = try #require(logs.partition("b", 1))
        #expect(reopened.bounds == .init(logStartOffset: 0, highWatermark: 5, logEndOffset: 5))
        #expect(try reopened.readAll().map { TestRecord.of($0).count } == [3, 2])
        #expect(logs.partition("b", 0)?.bounds.logEndOffset == 0)
    }

    @Test func incompleteTopicDirectoriesAreDiscardedAtOpen() throws {
        let root = try TemporaryDirectory()
        let flusher = Flusher()
        var logs = try openManager(root, flusher: flusher)
        try logs.createTopic(name: "kept", partitions: 1, configs: [:])
        // A creation that crashed before topic.json, and one whose topic.json is unreadable.
        let ghost = root.child("topics/ghost")
        try FileManager.default.createDirectory(atPath: "\(ghost)/0", withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: "\(ghost)/0/\(LogSegment.fileName(0, "log"))", contents: Data())
        let broken = root.child("topics/broken")
        try FileManager.default.createDirectory(atPath: "\(broken)/0", withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: "\(broken)/topic.json", contents: Data("{\"partitions\":".utf8))

        logs = try openManager(root, flusher: flusher)
        #expect(logs.visibleTopics().map(\.name) == ["kept"])
        #expect(!FileManager.default.fileExists(atPath: ghost))
        #expect(!FileManager.default.fileExists(atPath: broken))
        #expect(try FileManager.default.contentsOfDirectory(atPath: root.child("topics")) == ["kept"])
        // The name is free again.
        #expect(try logs.createTopic(name: "ghost", partitions: 1, configs: [:]).partitions.count == 1)
    }

    // MARK: - Deleting

    @Test(.timeLimit(.minutes(1)))
    func deleteRemovesTheTopicAndItsFiles() async throws {
        let root = try TemporaryDirectory()
        let flusher = Flusher()
        flusher.start()
        defer { flusher.stop() }
        var logs = try openManager(root, flusher: flusher)
        try logs.createTopic(name: "gone", partitions: 2, configs: ["segment.bytes": "1024"])
        try logs.createTopic(name: "stays", partitions: 1, configs: [:])
        let partition = try #require(logs.partition("gone", 0))
        try await partition.appendAllDurably(try (0..<20).map { try TestBatch(count: 2, prefix: "g\($0)", valueLength: 30) })
        #expect(try StoredSegment.logFileBases(in: root.child("topics/gone/0")).count >= 3)

        #expect(logs.deleteTopic("gone"))
        #expect(!FileManager.default.fileExists(atPath: root.child("topics/gone")))
        #expect(logs.topic("gone") == nil)
        #expect(logs.partition("gone", 0) == nil)
        #expect(!logs.deleteTopic("gone"))
        #expect(throws: StorageError.self) { try partition.append(TestBatch(count: 1)) }

        logs = try openManager(root, flusher: flusher)
        #expect(logs.visibleTopics().map(\.name) == ["stays"])
        // The name can be used again, for a new empty topic.
        let again = try logs.createTopic(name: "gone", partitions: 1, configs: [:])
        #expect(again.partitions[0].bounds == .init(logStartOffset: 0, highWatermark: 0, logEndOffset: 0))
    }
}

@Suite struct DataDirectoryLockTests {
    @Test func secondLockOnTheSameDirectoryIsRefused() throws {
        let root = try TemporaryDirectory()
        let lock = try DataDirectoryLock(directory: root.path)
        do {
            _ = try DataDirectoryLock(directory: root.path)
            Issue.record("a second lock was granted")
        } catch let held as DataDirectoryLock.Held {
            #expect(held.directory == root.path)
            #expect(held.description.contains(root.path))
            #expect(held.owner == "\(getpid())")
            #expect(held.description.contains("pid \(getpid())"))
        }
        lock.release()
        let again = try DataDirectoryLock(directory: root.path)
        again.release()
    }

    @Test func releasingOnDeinitFreesTheDirectory() throws {
        let root = try TemporaryDirectory()
        do {
            let lock = try DataDirectoryLock(directory: root.path)
            _ = lock
        }
        let again = try DataDirectoryLock(directory: root.path)
        #expect(throws: DataDirectoryLock.Held.self) { try DataDirectoryLock(directory: root.path) }
        again.release()
        again.release()  // twice is harmless
    }
}

@Suite struct BrokerMetaTests {
    @Test func producerIdsAreUniqueAndIncreaseAcrossReopens() throws {
        let root = try TemporaryDirectory()
        var seen: [Int64] = []
        var clusterId: String?
        for _ in 0..<3 {
            let meta = try BrokerMeta(directory: root.path)
            if let clusterId { #expect(meta.clusterId == clusterId) }
            clusterId = meta.clusterId
            // More than one reserved block, so a reservation happens mid-run too.
            for _ in 0..<1_100 { seen.append(try meta.allocateProducerId()) }
        }
        #expect(zip(seen, seen.dropFirst()).allSatisfy { $0 < $1 })
        #expect(Set(seen).count == seen.count)
        #expect(seen.first == 0, "a fresh directory starts at producer id 0")
    }

    @Test func clusterIdIsKafkaShaped() throws {
        let root = try TemporaryDirectory()
        let id = try BrokerMeta(directory: root.path).clusterId
        #expect(id.count == 22)
        #expect(id.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") })
        let other = try TemporaryDirectory()
        #expect(try BrokerMeta(directory: other.path).clusterId != id)
    }
}
