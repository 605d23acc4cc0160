import ArgumentParser
import Foundation
import Kafka
import Logging
import TestSupport

/// `chat-bench kafka`: the broker's produce and consume throughput, its CPU cost per million
/// records, and produce latency at a fixed rate, measured with librdkafka clients.
struct KafkaBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "kafka", abstract: "Benchmark the embedded broker.")

    @Option(help: "Records of 100 bytes in the small-record run.")
    var smallRecords = 1_000_000

    @Option(help: "Records of 1 KiB in the large-record run.")
    var largeRecords = 100_000

    @Option(help: "Rate of the latency run, records per second.")
    var rate = 20_000

    @Option(help: "Duration of the latency run, seconds.")
    var latencySeconds = 10

    @Option(help: "Partitions of the benchmark topics.")
    var partitions: Int32 = 8

    @Option(help: "Rate of the paced run, records per second, one per request over 16 partitions.")
    var pacedRate = 1000

    @Option(help: "Duration of the paced run, seconds.")
    var pacedSeconds = 10

    func run() async throws {
        var logger = Logger(label: "bench")
        logger.logLevel = .error
        let directory = try TemporaryDirectory(prefix: "bench-kafka")
        let port = try LoopbackPorts.take()
        let bootstrap = "127.0.0.1:\(port)"
        let broker = try ChildProcess(
            try ChatBinary.path, ["broker", "--data", directory.child("data"), "--listen", bootstrap, "--log-level", "error"]
        )
        try await ChatBinary.waitForPort(port)
        let admin = try KafkaAdmin(configuration: KafkaConfiguration(bootstrapServers: bootstrap), logger: logger)
        try await admin.createTopics([
            NewTopic(name: "small", partitions: partitions), NewTopic(name: "large", partitions: partitions),
            NewTopic(name: "kcat-small", partitions: partitions), NewTopic(name: "kcat-large", partitions: partitions),
            NewTopic(name: "latency", partitions: partitions), NewTopic(name: "paced", partitions: Self.pacedPartitions),
        ])
        await admin.close()

        print("| scenario | client | records | msgs/s | MB/s | broker CPU-s per 1M records |")
        print("| --- | --- | ---: | ---: | ---: | ---: |")
        for (topic, count, size) in [("small", smallRecords, 100), ("large", largeRecords, 1024)] {
            let name = "\(count) × \(size) B"
            let viaKcat = try await produceWithKcat(topic: "kcat-\(topic)", count: count, size: size, bootstrap: bootstrap, broker: broker.pid)
            print(viaKcat.row("produce \(name), acks=all, idempotent", client: "kcat"))
            let readByKcat = try await consumeWithKcat(topic: "kcat-\(topic)", count: count, size: size, bootstrap: bootstrap, broker: broker.pid)
            print(readByKcat.row("consume \(name)", client: "kcat"))
            let produced = try await produce(topic: topic, count: count, size: size, bootstrap: bootstrap, broker: broker.pid, logger: logger)
            print(produced.row("produce \(name), acks=all, idempotent", client: "Swift client"))
            let consumed = try await consume(topic: topic, count: count, bootstrap: bootstrap, broker: broker.pid, logger: logger)
            print(consumed.row("consume \(name)", client: "Swift client"))
        }
        let latency = try await measureLatency(bootstrap: bootstrap, logger: logger)
        print("")
        print("| produce latency at \(rate) msgs/s, linger 1 ms, acks=all | p50 | p99 | max | samples |")
        print("| --- | ---: | ---: | ---: | ---: |")
        print("| send → delivery report | \(format(latency.percentile(50).milliseconds, 2)) ms | "
            + "\(format(latency.percentile(99).milliseconds, 2)) ms | \(format(latency.percentile(100).milliseconds, 2)) ms | \(latency.count) |")
        let paced = try await measurePaced(bootstrap: bootstrap, broker: broker.pid, logger: logger)
        print("")
        print("| paced: \(pacedRate) records/s over \(Self.pacedPartitions) partitions, acks=all, read by a consumer | figure |")
        print("| --- | ---: |")
        print("| broker CPU-s per 1,000 records | \(format(paced.brokerCPU / Double(paced.records) * 1000, 3)) |")
        print("| broker context switches per record | \(format(Double(paced.contextSwitches) / Double(paced.records), 1)) |")
        print("| produce → consume p50 / p99 | \(format(paced.latency.percentile(50).milliseconds, 2)) / "
            + "\(format(paced.latency.percentile(99).milliseconds, 2)) ms |")
        broker.kill(SIGTERM)
        _ = try await broker.wait()
    }

    struct Throughput {
        var records: Int
        var bytes: Int
        var elapsed: Duration
        var brokerCPU: Double

        func row(_ name: String, client: String) -> String {
            let seconds = elapsed.seconds
            return "| \(name) | \(client) | \(records) | \(format(Double(records) / seconds, 0)) | "
                + "\(format(Double(bytes) / seconds / 1_048_576)) | \(format(brokerCPU / Double(records) * 1_000_000, 3)) |"
        }
    }

    private func produce(
        topic: String, count: Int, size: Int, bootstrap: String, broker: Int32, logger: Logger
    ) async throws -> Throughput {
        let producer = try KafkaProducer(
            configuration: KafkaConfiguration(
                bootstrapServers: bootstrap,
                properties: ["linger.ms": "5", "batch.size": "1000000", "queue.buffering.max.messages": "500000"]
            ),
            logger: logger
        )
        let payload = Data((0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) })
        let cpuBefore = ProcessCPU.seconds(pid: broker)
        let start = ContinuousClock.now
        let chunk = 50_000
        for first in stride(from: 0, to: count, by: chunk) {
            let records = (first..<min(count, first + chunk)).map {
                KafkaOutgoingRecord(topic: topic, key: Data("key-\($0 % 10_000)".utf8), value: payload)
            }
            _ = try await producer.send(records)
        }
        let elapsed = ContinuousClock.now - start
        let cpu = ProcessCPU.seconds(pid: broker) - cpuBefore
        await producer.close()
        return Throughput(records: count, bytes: count * size, elapsed: elapsed, brokerCPU: cpu)
    }

    /// kcat (librdkafka in C) as the producer: the broker's cost without the Swift client's.
    private func produceWithKcat(topic: String, count: Int, size: Int, bootstrap: String, broker: Int32) async throws -> Throughput {
        let value = String(repeating: "x", count: size)
        var input = Data()
        input.reserveCapacity(count * (size + 12))
        for index in 0..<count { input.append(contentsOf: "key-\(index % 10_000):\(value)\n".utf8) }
        let cpuBefore = ProcessCPU.seconds(pid: broker)
        let start = ContinuousClock.now
        try await ChildProcess.run("kcat", [
            "-b", bootstrap, "-P", "-t", topic, "-K", ":", "-X", "acks=all", "-X", "enable.idempotence=true",
            "-X", "linger.ms=5",
        ], stdin: input, timeout: .seconds(600))
        let elapsed = ContinuousClock.now - start
        return Throughput(records: count, bytes: count * size, elapsed: elapsed, brokerCPU: ProcessCPU.seconds(pid: broker) - cpuBefore)
    }

    private func consumeWithKcat(topic: String, count: Int, size: Int, bootstrap: String, broker: Int32) async throws -> Throughput {
        let cpuBefore = ProcessCPU.seconds(pid: broker)
        let start = ContinuousClock.now
        let output = try await ChildProcess.run(
            "kcat", ["-b", bootstrap, "-C", "-t", topic, "-o", "beginning", "-e", "-q", "-f", "%o\n"], timeout: .seconds(600)
        )
        let elapsed = ContinuousClock.now - start
        let received = output.stdout.utf8.count { $0 == 0x0A }
        return Throughput(records: received, bytes: received * size, elapsed: elapsed, brokerCPU: ProcessCPU.seconds(pid: broker) - cpuBefore)
    }

    private func consume(topic: String, count: Int, bootstrap: String, broker: Int32, logger: Logger) async throws -> Throughput {
        let consumer = try KafkaConsumer(
            configuration: KafkaConfiguration(bootstrapServers: bootstrap, properties: ["fetch.max.bytes": "52428800"]),
            logger: logger
        )
        try consumer.assign(Dictionary(uniqueKeysWithValues: (0..<partitions).map {
            (TopicPartition(topic: topic, partition: $0), KafkaOffset.beginning)
        }))
        let cpuBefore = ProcessCPU.seconds(pid: broker)
        let start = ContinuousClock.now
        var received = 0
        var bytes = 0
        for try await record in consumer.records {
            received += 1
            bytes += record.value?.count ?? 0
            if received == count { break }
        }
        let elapsed = ContinuousClock.now - start
        let cpu = ProcessCPU.seconds(pid: broker) - cpuBefore
        await consumer.close()
        return Throughput(records: received, bytes: bytes, elapsed: elapsed, brokerCPU: cpu)
    }

    /// Sends at a fixed rate (one tick per millisecond) and times each record from the send
    /// call to its delivery report.
    private func measureLatency(bootstrap: String, logger: Logger) async throws -> Percentiles {
        let producer = try KafkaProducer(
            configuration: KafkaConfiguration(bootstrapServers: bootstrap, properties: ["linger.ms": "1"]),
            logger: logger
        )
        let payload = Data(repeating: 0x61, count: 100)
        let perTick = max(1, rate / 1000)
        let ticks = latencySeconds * 1000
        let samples = try await withThrowingTaskGroup(of: Duration.self) { group in
            let start = ContinuousClock.now
            for tick in 0..<ticks {
                try await Task.sleep(until: start + .milliseconds(tick), clock: .continuous)
                for index in 0..<perTick {
                    let record = KafkaOutgoingRecord(topic: "latency", key: Data("k\(index)".utf8), value: payload)
                    group.addTask {
                        let sent = ContinuousClock.now
                        _ = try await producer.send(record)
                        return ContinuousClock.now - sent
                    }
                }
            }
            var samples: [Duration] = []
            for try await sample in group { samples.append(sample) }
            return samples
        }
        await producer.close()
        // The first second warms connections and the broker's caches up.
        return Percentiles(Array(samples.dropFirst(rate)))
    }

    static let pacedPartitions: Int32 = 16

    struct Paced {
        var records: Int
        var brokerCPU: Double
        var contextSwitches: Int
        var latency: Percentiles
    }

    /// The broker's cost per request at a moderate rate, the chat's load: records sent one by
    /// one (one tick per millisecond), each partition in turn, so that nearly every record is
    /// a produce request of its own and a fetch response of its own; the consumer times each
    /// from its send (carried in the record) to its arrival.
    private func measurePaced(bootstrap: String, broker: Int32, logger: Logger) async throws -> Paced {
        let configuration = KafkaConfiguration(bootstrapServers: bootstrap, properties: ["linger.ms": "1"])
        let producer = try KafkaProducer(configuration: configuration, topics: ["paced"], logger: logger)
        let consumer = try KafkaConsumer(configuration: configuration, logger: logger)
        try consumer.assign(Dictionary(uniqueKeysWithValues: (0..<Self.pacedPartitions).map {
            (TopicPartition(topic: "paced", partition: $0), KafkaOffset.end)
        }))
        let total = pacedRate * pacedSeconds
        let reader = Task {
            var samples: [Duration] = []
            for try await record in consumer.records {
                guard let value = record.value, value.count == 8 else { continue }
                let sent = value.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
                samples.append(.nanoseconds(Int64(DispatchTime.now().uptimeNanoseconds - sent)))
                if samples.count == total { break }
            }
            return samples
        }
        // The consumer's first fetch must be under way before the first record is sent.
        try await Task.sleep(for: .seconds(2))
        let cpuBefore = ProcessCPU.seconds(pid: broker)
        let switchesBefore = ProcessCPU.contextSwitches(pid: broker)
        let start = ContinuousClock.now
        let perTick = max(1, pacedRate / 1000)
        var pending: [PendingDelivery] = []
        for index in 0..<total {
            if index % perTick == 0 {
                try await Task.sleep(until: start + .milliseconds(index / perTick), clock: .continuous)
            }
            var now = DispatchTime.now().uptimeNanoseconds
            let record = KafkaOutgoingRecord(
                topic: "paced", partition: Int32(index) % Self.pacedPartitions, key: nil,
                value: Data(bytes: &now, count: 8)
            )
            pending.append(try await producer.enqueue(record))
        }
        for delivery in pending { _ = try await delivery.report() }
        let samples = try await reader.value
        let cpu = ProcessCPU.seconds(pid: broker) - cpuBefore
        let switches = ProcessCPU.contextSwitches(pid: broker) - switchesBefore
        await consumer.close()
        await producer.close()
        return Paced(records: samples.count, brokerCPU: cpu, contextSwitches: switches, latency: Percentiles(samples))
    }
}
