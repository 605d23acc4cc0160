import ArgumentParser
import Kafka
import Logging

/// Where the Kafka cluster is, for the commands that talk to it.
struct KafkaOptions: ParsableArguments {
    @Option(
        name: [.customLong("kafka"), .customLong("brokers")],
        help: ArgumentHelp("Kafka bootstrap servers, HOST:PORT[,HOST:PORT…].", valueName: "servers")
    )
    var servers = Environment.value("CHAT_KAFKA") ?? "127.0.0.1:9092"

    func admin(logger: Logger) throws -> KafkaAdmin {
        try KafkaAdmin(configuration: KafkaConfiguration(bootstrapServers: servers), logger: logger)
    }
}

enum Environment {
    static func value(_ name: String) -> String? {
        guard let value = ProcessInfo.processInfo.environment[name], !value.isEmpty else { return nil }
        return value
    }
}

import Foundation
