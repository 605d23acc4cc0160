import ArgumentParser
import Kafka
import Logging

/// Where the Kafka cluster is, for the commands that talk to it.
struct KafkaOptions: ParsableArguments {
    @Option(
        name: [.customLong("kafka"), .customLong("brokers")],
        help: ArgumentHelp("Kafka bootstrap servers, HOST:PORT[,HOST:PORT…] (env CHAT_KAFKA).", valueName: "servers")
    )
    var servers = Environment.value("CHAT_KAFKA") ?? "127.0.0.1:9092"

    @Option(
        name: .customLong("kafka-property"),
        help: ArgumentHelp("A librdkafka property for every Kafka client, KEY=VALUE (repeatable), e.g. session.timeout.ms=6000.", valueName: "key=value")
    )
    var properties: [String] = []

    /// The client configuration these options describe.
    func configuration() throws -> KafkaConfiguration {
        try Self.configuration(servers: servers, properties: properties)
    }

    /// `servers` with `KEY=VALUE` properties applied.
    static func configuration(servers: String, properties: [String]) throws -> KafkaConfiguration {
        var configuration = KafkaConfiguration(bootstrapServers: servers)
        for property in properties {
            guard let equals = property.firstIndex(of: "="), equals > property.startIndex else {
                throw ValidationError("--kafka-property must be KEY=VALUE, not '\(property)'")
            }
            configuration[String(property[..<equals])] = String(property[property.index(after: equals)...])
        }
        return configuration
    }

    /// Runs `body` with an admin client, closed afterwards whatever happens.
    func withAdmin<Result>(logger: Logger, _ body: (KafkaAdmin) async throws -> Result) async throws -> Result {
        try await KafkaAdmin.using(configuration(), logger: logger, body)
    }
}

enum Environment {
    static func value(_ name: String) -> String? {
        guard let value = ProcessInfo.processInfo.environment[name], !value.isEmpty else { return nil }
        return value
    }
}

import Foundation
