import ChatClient
import Foundation

/// The scaled-out system as separate processes on loopback: one `chat broker`, several
/// `chat worker`s and several `chat gateway`s sharing one token secret. Short Kafka session
/// timeouts make a killed process's partitions move within seconds.
public final class ChatCluster: Sendable {
    public let directory: TemporaryDirectory
    public let kafkaPort: Int
    public let gatewayPorts: [Int]
    private let broker: Locked<ChildProcess>
    private let workers: Locked<[ChildProcess?]>
    private let gateways: Locked<[ChildProcess?]>

    /// The HTTP side of gateway `index`.
    public func gateway(_ index: Int) -> HTTPClient { HTTPClient(host: "127.0.0.1", port: gatewayPorts[index]) }

    /// The consumer-group settings that make a killed member's partitions move quickly.
    static let groupProperties = [
        "--kafka-property", "session.timeout.ms=6000", "--kafka-property", "heartbeat.interval.ms=500",
    ]

    /// - Parameter gatewayArguments: more arguments for every gateway.
    public static func start(workers workerCount: Int, gateways gatewayCount: Int, gatewayArguments: [String] = []) async throws -> ChatCluster {
        let directory = try TemporaryDirectory(prefix: "chat-cluster")
        let binary = try ChatBinary.path
        let logLevel = Self.logLevel
        let (broker, kafkaPort) = try await ChatBinary.startBroker(data: directory.child("broker"), arguments: ["--log-level", logLevel])
        let bootstrap = "127.0.0.1:\(kafkaPort)"
        let environment = ["CHAT_TOKEN_SECRET": String(repeating: "5eed", count: 8)]

        var workers: [ChildProcess?] = []
        for _ in 0..<workerCount {
            workers.append(try ChildProcess(binary, ["worker", "--kafka", bootstrap, "--log-level", logLevel] + groupProperties))
        }
        var gateways: [ChildProcess?] = []
        var ports: [Int] = []
        for index in 0..<gatewayCount {
            let port = try LoopbackPorts.take()
            ports.append(port)
            gateways.append(try ChildProcess(binary, [
                "gateway", "--data", directory.child("gateway-\(index)"), "--kafka", bootstrap, "--http", "127.0.0.1:\(port)",
                "--password-iterations", "1000", "--log-level", logLevel,
            ] + groupProperties + gatewayArguments, environment: environment))
        }
        let cluster = ChatCluster(
            directory: directory, kafkaPort: kafkaPort, gatewayPorts: ports, broker: broker, workers: workers, gateways: gateways
        )
        for (index, (port, gateway)) in zip(ports, gateways).enumerated() {
            if let gateway { try await ChatBinary.waitUntilHealthy(gateway, port: port, name: "gateway \(index)") }
        }
        return cluster
    }

    private init(
        directory: TemporaryDirectory, kafkaPort: Int, gatewayPorts: [Int], broker: ChildProcess, workers: [ChildProcess?],
        gateways: [ChildProcess?]
    ) {
        self.directory = directory
        self.kafkaPort = kafkaPort
        self.gatewayPorts = gatewayPorts
        self.broker = Locked(broker)
        self.workers = Locked(workers)
        self.gateways = Locked(gateways)
    }

    /// `kill -9` of worker `index`: it never leaves its groups, so they wait out its session.
    public func killWorker(_ index: Int) {
        workers.withLock { workers in
            workers[index]?.kill(SIGKILL)
            workers[index] = nil
        }
    }

    /// `kill -9` of gateway `index`.
    public func killGateway(_ index: Int) {
        gateways.withLock { gateways in
            gateways[index]?.kill(SIGKILL)
            gateways[index] = nil
        }
    }

    private static var logLevel: String { ProcessInfo.processInfo.environment["CHAT_TEST_LOG"] ?? "warning" }

    /// `kill -9` of the broker; returns once it is gone.
    public func killBroker() async throws {
        let broker = broker.value
        broker.kill(SIGKILL)
        _ = try await broker.wait(timeout: .seconds(30))
    }

    /// Starts the broker again on its port and data, after `killBroker`.
    public func restartBroker() async throws {
        let (restarted, _) = try await ChatBinary.startBroker(
            data: directory.child("broker"), port: kafkaPort, arguments: ["--log-level", Self.logLevel]
        )
        broker.withLock { $0 = restarted }
    }

    /// Whether every process that was not killed is still running.
    public var survivorsAreRunning: Bool {
        broker.value.isRunning && (workers.value + gateways.value).allSatisfy { $0?.isRunning ?? true }
    }

    /// Stops everything (gateways and workers first, so they leave their groups cleanly).
    public func stop() async {
        for process in gateways.value + workers.value {
            process?.kill(SIGTERM)
            _ = try? await process?.wait(timeout: .seconds(30))
        }
        broker.value.kill(SIGTERM)
        _ = try? await broker.value.wait(timeout: .seconds(30))
    }

    deinit {
        for process in gateways.value + workers.value { process?.kill(SIGKILL) }
        broker.value.kill(SIGKILL)
    }
}
