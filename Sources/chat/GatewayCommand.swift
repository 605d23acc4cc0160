import ArgumentParser
import Foundation
import Gateway
import Kafka
import Logging
import Producers
import ServiceLifecycle
import UnixSignals

/// `chat gateway`: one gateway node against a Kafka cluster (or the embedded broker of
/// another process). Run several; each serves the users of the inbox partitions the
/// gateways' consumer group assigns it.
struct GatewayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gateway",
        abstract: "Run a gateway node: HTTP, WebSocket sessions and delivery for its share of users."
    )

    @Option(help: "Directory for this node's read models, one per node (env CHAT_DATA).")
    var data = Environment.value("CHAT_DATA") ?? "./data"

    @OptionGroup var kafka: KafkaOptions
    @OptionGroup var http: HTTPOptions
    @OptionGroup var options: ChatOptions

    func run() async throws {
        let logger = Logger.make(label: "gateway", level: options.logLevel())
        let registry = Telemetry.bootstrap()
        let catalog = try options.catalog()
        let kafkaConfiguration = try kafka.configuration()
        try await TopicProvisioner.ensure(catalog, kafka: kafkaConfiguration, logger: logger)
        var configuration = try http.configuration(data: DataLayout(root: data))
        configuration.metrics = Telemetry.endpoint(registry, kafka: kafkaConfiguration, logger: logger)
        let gateway = try ChatGateway(configuration: configuration, kafka: kafkaConfiguration, catalog: catalog, logger: logger)
        try await ServiceGroup(
            services: [RunService(name: "gateway") { try await gateway.run() }],
            gracefulShutdownSignals: [.sigterm, .sigint], logger: logger
        ).run()
    }
}
