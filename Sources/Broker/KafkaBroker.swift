import Foundation
import Logging
import NIOCore
import NIOPosix

/// A single-node, durable broker that speaks the Kafka protocol to unmodified clients.
///
/// ```swift
/// let broker = try await KafkaBroker.start(configuration, logger: logger)
/// try await broker.run()   // until the task is cancelled; then the logs close cleanly
/// ```
public final class KafkaBroker: Sendable {
    public let configuration: BrokerConfiguration
    /// The port actually bound (differs from the configured one when that was 0).
    public let port: Int

    private let lock: DataDirectoryLock
    private let flusher: Flusher
    private let logs: LogManager
    private let coordinator: GroupCoordinator
    private let server: KafkaServer
    private let listener: KafkaServer.Listener
    private let logger: Logger

    private static let cleanShutdownMarker = "clean-shutdown"

    /// Opens (recovering if needed) the data directory and binds the listening socket.
    /// Throws if another broker holds the directory.
    public static func start(_ configuration: BrokerConfiguration, logger: Logger) async throws -> KafkaBroker {
        let directory = configuration.dataDirectory
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let lock = try DataDirectoryLock(directory: directory)
        let markerPath = "\(directory)/\(cleanShutdownMarker)"
        let clean = FileManager.default.fileExists(atPath: markerPath)
        let hasTopics = !((try? FileManager.default.contentsOfDirectory(atPath: "\(directory)/topics")) ?? []).isEmpty
        if !clean && hasTopics { logger.info("recovering logs after an unclean shutdown", metadata: ["data": "\(directory)"]) }

        BrokerMetrics.prepare()
        let flusher = Flusher(threads: configuration.flusherThreads, policy: configuration.flush)
        flusher.start()
        let logs = try LogManager(
            directory: directory, defaults: configuration.topicDefaults, cleanShutdown: clean, flusher: flusher,
            logger: logger
        )
        // From here on the logs are live: a crash must be treated as unclean.
        unlink(markerPath)
        try syncDirectory(directory)

        let meta = try BrokerMeta(directory: directory)
        let offsets = try OffsetStore(logs: logs, logger: logger)
        let coordinator = GroupCoordinator(offsets: offsets, logger: logger)

        var handler = RequestHandler(
            logs: logs, meta: meta, groups: coordinator, configuration: configuration,
            advertisedHost: configuration.advertisedHost ?? configuration.host,
            advertisedPort: Int32(configuration.advertisedPort ?? configuration.port), logger: logger
        )
        let placeholder = KafkaServer(handler: handler, maxFrameSize: configuration.maxRequestBytes, logger: logger)
        let listener = try await placeholder.bind(
            host: configuration.host, port: configuration.port, group: MultiThreadedEventLoopGroup.singleton
        )
        let port = listener.port ?? configuration.port
        if configuration.advertisedPort == nil { handler = handler.advertising(port: Int32(port)) }
        let server = KafkaServer(handler: handler, maxFrameSize: configuration.maxRequestBytes, logger: logger)
        logger.info("broker listening", metadata: ["address": "\(configuration.host):\(port)", "data": "\(directory)"])
        return KafkaBroker(
            configuration: configuration, port: port, lock: lock, flusher: flusher, logs: logs, coordinator: coordinator,
            server: server, listener: listener, logger: logger
        )
    }

    private init(
        configuration: BrokerConfiguration, port: Int, lock: DataDirectoryLock, flusher: Flusher, logs: LogManager,
        coordinator: GroupCoordinator, server: KafkaServer, listener: KafkaServer.Listener,
        logger: Logger
    ) {
        self.configuration = configuration
        self.port = port
        self.lock = lock
        self.flusher = flusher
        self.logs = logs
        self.coordinator = coordinator
        self.server = server
        self.listener = listener
        self.logger = logger
    }

    /// Bytes on disk per partition of every topic clients see.
    public func logSizes() -> [(topic: String, partition: Int32, bytes: Int)] {
        logs.visibleTopics().flatMap { topic in
            topic.partitions.enumerated().map { (topic.name, Int32($0.offset), $0.element.sizeInBytes) }
        }
    }

    /// Serves clients until the surrounding task is cancelled, then stops accepting, closes
    /// the connections, makes everything durable and marks the shutdown clean.
    public func run() async throws {
        do {
            try await withThrowingDiscardingTaskGroup { group in
                group.addTask { await self.coordinator.sweep() }
                group.addTask { await self.cleanPeriodically() }
                group.addTask { try await self.server.serve(self.listener) }
            }
        } catch is CancellationError {
            // The expected way to stop.
        } catch {
            try? close()
            throw error
        }
        try close()
    }

    /// Retention and compaction, on a utility thread: both do file I/O that may take a while.
    private func cleanPeriodically() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: configuration.cleanupInterval)
            guard !Task.isCancelled else { break }
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                DispatchQueue.global(qos: .utility).async { [logs] in
                    let now = currentTimeMillis()
                    logs.enforceRetention(now: now)
                    logs.compact(now: now)
                    continuation.resume()
                }
            }
        }
    }

    private func close() throws {
        flusher.stop()
        try logs.close()
        let marker = "\(configuration.dataDirectory)/\(Self.cleanShutdownMarker)"
        _ = FileManager.default.createFile(atPath: marker, contents: Data())
        try syncDirectory(configuration.dataDirectory)
        lock.release()
        logger.info("broker stopped cleanly", metadata: ["data": "\(configuration.dataDirectory)"])
    }
}

extension RequestHandler {
    func advertising(port: Int32) -> RequestHandler {
        var copy = self
        copy = RequestHandler(
            logs: logs, meta: meta, groups: groups, configuration: configuration, advertisedHost: advertisedHost,
            advertisedPort: port, logger: logger
        )
        return copy
    }
}
