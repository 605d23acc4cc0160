import Broker
import Foundation
import Logging

/// The project's broker running inside the test process on a loopback port of its own.
public final class TestBroker: Sendable {
    public let broker: KafkaBroker
    public let directory: String
    private let task: Task<Void, any Error>

    public var bootstrap: String { "127.0.0.1:\(broker.port)" }

    public static func start(
        directory: String, port: Int? = nil, configure: (inout BrokerConfiguration) -> Void = { _ in }
    ) async throws -> TestBroker {
        var configuration = BrokerConfiguration(dataDirectory: directory)
        configuration.port = try port ?? LoopbackPorts.take()
        configure(&configuration)
        var logger = Logger(label: "test-broker")
        logger.logLevel = ProcessInfo.processInfo.environment["BROKER_LOG"].flatMap(Logger.Level.init(rawValue:)) ?? .warning
        let broker = try await KafkaBroker.start(configuration, logger: logger)
        return TestBroker(broker: broker, directory: directory)
    }

    private init(broker: KafkaBroker, directory: String) {
        self.broker = broker
        self.directory = directory
        self.task = Task { try await broker.run() }
    }

    /// Stops the broker cleanly (as SIGTERM would) and waits until its files are closed.
    public func stop() async throws {
        task.cancel()
        try await task.value
    }
}
