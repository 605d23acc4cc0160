import ArgumentParser
import Consumers
import Foundation
import Kafka
import Logging
import Producers
import ServiceLifecycle
import UnixSignals

/// `chat worker`: the consumer processes, scaled out through Kafka consumer groups. Start
/// another worker and the groups rebalance; stop one and its partitions move to the others.
struct WorkerCommand: AsyncParsableCommand {
    enum Role: String, ExpressibleByArgument, CaseIterable {
        case processor
    }

    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Run consumer processes (the conversation processor) in their consumer groups."
    )

    @Option(name: .customLong("role"), help: "What to run: \(Role.allCases.map(\.rawValue).joined(separator: ", ")) (repeatable; default: all).")
    var roles: [Role] = []

    @OptionGroup var kafka: KafkaOptions
    @OptionGroup var options: ChatOptions

    func run() async throws {
        let logger = Logger.make(label: "worker", level: options.logLevel())
        let catalog = try options.catalog()
        let kafkaConfiguration = try kafka.configuration()
        try await TopicProvisioner.ensure(catalog, kafka: kafkaConfiguration, logger: logger)
        let writer = try EventWriter(kafka: kafkaConfiguration, catalog: catalog, logger: logger)
        var services: [RunService] = []
        for role in roles.isEmpty ? Role.allCases : roles {
            switch role {
            case .processor:
                let processor = ConversationProcessor(kafka: kafkaConfiguration, writer: writer, logger: logger)
                services.append(RunService(name: "processor") { try await processor.run() })
            }
        }
        try await ServiceGroup(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger).run()
        await writer.close()
    }
}
