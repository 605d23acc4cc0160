import ArgumentParser
import Broker
import Consumers
import Foundation
import Gateway
import Kafka
import Logging
import Producers
import ServiceLifecycle
import UnixSignals

/// `chat serve`: the whole system in one process: the embedded broker, the conversation
/// processor, and a gateway. The parts talk to each other through Kafka exactly as separate
/// processes on a cluster do.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the embedded broker, the conversation processor and a gateway in one process."
    )

    @Option(help: "Directory for the broker's log and the gateway's read models (env CHAT_DATA).")
    var data = Environment.value("CHAT_DATA") ?? "./data"

    @Option(help: "Address of the embedded broker, HOST:PORT (env CHAT_KAFKA).")
    var kafka = Environment.value("CHAT_KAFKA") ?? "127.0.0.1:9092"

    @Option(
        name: .customLong("kafka-property"),
        help: ArgumentHelp("A librdkafka property for every Kafka client, KEY=VALUE (repeatable).", valueName: "key=value")
    )
    var kafkaProperties: [String] = []

    @OptionGroup var flush: FlushOptions
    @OptionGroup var http: HTTPOptions
    @OptionGroup var options: ChatOptions

    func run() async throws {
        let logger = Logger.make(label: "chat", level: options.logLevel())
        let registry = Telemetry.bootstrap()
        let layout = DataLayout(root: data)
        let catalog = try options.catalog()
        var brokerConfiguration = BrokerConfiguration(dataDirectory: layout.broker)
        (brokerConfiguration.host, brokerConfiguration.port) = try HostAndPort.parse(kafka, option: "--kafka")
        brokerConfiguration.flush = flush.policy
        let broker = try await KafkaBroker.start(brokerConfiguration, logger: logger)
        let kafkaConfiguration = try KafkaOptions.configuration(
            servers: "\(brokerConfiguration.host):\(broker.port)", properties: kafkaProperties
        )
        let writer = try EventWriter(kafka: kafkaConfiguration, catalog: catalog, logger: logger)
        let processor = ConversationProcessor(kafka: kafkaConfiguration, writer: writer, logger: logger)
        var gatewayConfiguration = try http.configuration(data: layout)
        gatewayConfiguration.metrics = Telemetry.endpoint(registry, kafka: kafkaConfiguration, broker: broker, logger: logger)
        let gateway = try ChatGateway(configuration: gatewayConfiguration, kafka: kafkaConfiguration, catalog: catalog, logger: logger)
        let group = ServiceGroup(
            services: [
                RunService(name: "broker") { try await broker.run() },
                RunService(name: "chat") {
                    // The broker serves from here on (services start in order).
                    try await TopicProvisioner.ensure(catalog, kafka: kafkaConfiguration, logger: logger)
                    try await withThrowingDiscardingTaskGroup { group in
                        group.addTask {
                            // However the processor ends, what it wrote is flushed first.
                            do {
                                try await processor.run()
                            } catch {
                                await writer.close()
                                throw error
                            }
                            await writer.close()
                        }
                        group.addTask { try await gateway.run() }
                    }
                },
            ],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger
        )
        try await group.run()
    }
}
