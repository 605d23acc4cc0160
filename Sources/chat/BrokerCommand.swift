import ArgumentParser
import Broker
import Logging
import ServiceLifecycle
import UnixSignals

/// `chat broker`: the embedded Kafka-compatible broker on its own.
struct BrokerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "broker",
        abstract: "Run the single-node, durable, Kafka-compatible broker."
    )

    @Option(help: "Directory for the log segments and broker state.")
    var data = "./data"

    @Option(help: "Address to listen on, HOST:PORT.")
    var listen = "127.0.0.1:9092"

    @Option(help: "Address given to clients in metadata, HOST:PORT (default: the listen address).")
    var advertise: String?

    @Flag(help: "Create topics that clients ask for and that do not exist.")
    var autoCreateTopics = false

    @Option(help: "Partitions of topics created without a count.")
    var defaultPartitions: Int32 = 1

    @Option(help: "Largest request frame accepted, in bytes; larger ones close the connection.")
    var maxRequestBytes = 100 << 20

    @OptionGroup var flush: FlushOptions

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical (env CHAT_LOG_LEVEL; default: info).")
    var logLevel: Logger.Level?

    func run() async throws {
        let logger = Logger.make(label: "broker", level: .chosen(logLevel, default: .info))
        var configuration = BrokerConfiguration(dataDirectory: data)
        (configuration.host, configuration.port) = try HostAndPort.parse(listen, option: "--listen")
        if let advertise {
            let (host, port) = try HostAndPort.parse(advertise, option: "--advertise")
            configuration.advertisedHost = host
            configuration.advertisedPort = port
        }
        configuration.autoCreateTopics = autoCreateTopics
        configuration.defaultPartitions = defaultPartitions
        configuration.maxRequestBytes = maxRequestBytes
        configuration.flush = flush.policy
        // Started inside the service group, so that a SIGTERM arriving as soon as the port
        // accepts connections already stops the broker cleanly.
        let service = RunService(name: "broker") { [configuration] in
            try await KafkaBroker.start(configuration, logger: logger).run()
        }
        try await ServiceGroup(services: [service], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger).run()
    }
}
