import Broker
import Foundation
import Kafka
import Logging
import TestSupport

/// A broker in the test process plus helpers to make Swift clients for it.
struct KafkaTestEnvironment {
    let directory: TemporaryDirectory
    let broker: TestBroker
    let logger: Logger

    static func start(configure: (inout BrokerConfigurationEditor) -> Void = { _ in }) async throws -> KafkaTestEnvironment {
        let directory = try TemporaryDirectory(prefix: "kafka-test")
        var editor = BrokerConfigurationEditor()
        configure(&editor)
        let broker = try await TestBroker.start(directory: directory.child("data")) { configuration in
            configuration.autoCreateTopics = editor.autoCreateTopics
            configuration.cleanupInterval = editor.cleanupInterval
        }
        var logger = Logger(label: "kafka-test")
        logger.logLevel = .warning
        return KafkaTestEnvironment(directory: directory, broker: broker, logger: logger)
    }

    var bootstrap: String { broker.bootstrap }

    func producer(_ properties: [String: String] = [:]) throws -> KafkaProducer {
        try KafkaProducer(configuration: KafkaConfiguration(bootstrapServers: bootstrap, properties: properties), logger: logger)
    }

    func consumer(_ properties: [String: String] = [:]) throws -> KafkaConsumer {
        try KafkaConsumer(configuration: KafkaConfiguration(bootstrapServers: bootstrap, properties: properties), logger: logger)
    }

    func admin() throws -> KafkaAdmin {
        try KafkaAdmin(configuration: KafkaConfiguration(bootstrapServers: bootstrap), logger: logger)
    }

    func createTopic(_ name: String, partitions: Int32, configs: [String: String] = [:]) async throws {
        let admin = try admin()
        try await admin.createTopics([NewTopic(name: name, partitions: partitions, configs: configs)], ignoreExisting: false)
        await admin.close()
    }
}

struct BrokerConfigurationEditor {
    var autoCreateTopics = false
    var cleanupInterval: Duration = .seconds(30)
}

/// Reads from `consumer` until `count` records arrived or `timeout` passed.
func collect(_ consumer: KafkaConsumer, count: Int, timeout: Duration = .seconds(60)) async throws -> [KafkaRecord] {
    try await withThrowingTaskGroup(of: [KafkaRecord]?.self) { group in
        group.addTask {
            var records: [KafkaRecord] = []
            for try await record in consumer.records {
                records.append(record)
                if records.count >= count { break }
            }
            return records
        }
        group.addTask {
            try await Task.sleep(for: timeout)
            return nil
        }
        let first = try await group.next()!
        group.cancelAll()
        guard let records = first else {
            throw ChildProcess.Failure(description: "timed out waiting for \(count) records")
        }
        return records
    }
}

extension Data {
    var text: String { String(decoding: self, as: UTF8.self) }
}

extension String {
    var data: Data { Data(utf8) }
}
