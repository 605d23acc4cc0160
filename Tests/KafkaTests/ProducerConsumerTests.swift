import Broker
import Foundation
import Logging
import Kafka
import Testing
import TestSupport

/// The Swift wrapper over librdkafka against the broker: delivery reports, ordering,
/// idempotence, restarts.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct ProducerConsumerTests {
    @Test func sendReturnsThePartitionAndOffset() async throws {
        let environment = try await KafkaTestEnvironment.start()
        try await environment.createTopic("reports", partitions: 2)
        let producer = try environment.producer()
        var offsets: [Int32: [Int64]] = [:]
        for index in 0..<20 {
            let report = try await producer.send(
                KafkaOutgoingRecord(topic: "reports", partition: Int32(index % 2), key: nil, value: "v\(index)".data)
            )
            #expect(report.topic == "reports")
            #expect(report.partition == Int32(index % 2))
            offsets[report.partition, default: []].append(report.offset)
        }
        #expect(offsets[0] == Array(0..<10))
        #expect(offsets[1] == Array(0..<10))
        await producer.close()
        try await environment.broker.stop()
    }

    @Test func hundredThousandKeyedRecordsKeepPerKeyOrder() async throws {
        let environment = try await KafkaTestEnvironment.start()
        try await environment.createTopic("keyed", partitions: 8)
        let producer = try environment.producer(["enable.idempotence": "true"])
        let total = 100_000
        let keys = 1000
        var sequenceByKey = [Int](repeating: 0, count: keys)
        var reports: [KafkaDeliveryReport] = []
        for chunk in stride(from: 0, to: total, by: 10_000) {
            let records = (chunk..<chunk + 10_000).map { index in
                let key = index % keys
                defer { sequenceByKey[key] += 1 }
                return KafkaOutgoingRecord(
                    topic: "keyed", key: "key-\(key)".data, value: "\(key):\(sequenceByKey[key])".data,
                    headers: [KafkaHeader("index", "\(index)")]
                )
            }
            reports += try await producer.send(records)
        }
        await producer.close()
        #expect(reports.count == total)
        #expect(Set(reports.map(\.partition)).count == 8, "keys spread over every partition")

        let consumer = try environment.consumer()
        try consumer.assign(Dictionary(uniqueKeysWithValues: (0..<8).map {
            (TopicPartition(topic: "keyed", partition: $0), KafkaOffset.beginning)
        }))
        let records = try await collect(consumer, count: total)
        await consumer.close()

        #expect(records.count == total)
        var next = [Int](repeating: 0, count: keys)
        var partitionOfKey: [Int: Int32] = [:]
        for record in records {
            let parts = record.value!.text.split(separator: ":").map { Int($0)! }
            let (key, sequence) = (parts[0], parts[1])
            #expect(record.key?.text == "key-\(key)")
            #expect(sequence == next[key], "key \(key): got \(sequence), expected \(next[key])")
            next[key] = sequence + 1
            #expect(partitionOfKey[key, default: record.partition] == record.partition, "a key stays in one partition")
            partitionOfKey[key] = record.partition
            #expect(record.header("index") == "\(sequence * keys + key)", "the header travels with its record")
        }
        #expect(next == [Int](repeating: total / keys, count: keys), "every record exactly once")
        try await environment.broker.stop()
    }

    @Test func recordsSurviveABrokerRestart() async throws {
        let directory = try TemporaryDirectory(prefix: "restart")
        let first = try await TestBroker.start(directory: directory.child("data"))
        let port = first.broker.port
        let environment = KafkaTestEnvironment(directory: directory, broker: first, logger: .init(label: "restart"))
        try await environment.createTopic("durable", partitions: 3)
        let producer = try environment.producer()
        let sent = (0..<3000).map { KafkaOutgoingRecord(topic: "durable", key: "k\($0 % 30)".data, value: "value-\($0)".data) }
        _ = try await producer.send(sent)
        await producer.close()
        try await first.stop()

        let second = try await TestBroker.start(directory: directory.child("data"), port: port)
        let restarted = KafkaTestEnvironment(directory: directory, broker: second, logger: .init(label: "restart"))
        let consumer = try restarted.consumer()
        try consumer.assign(Dictionary(uniqueKeysWithValues: (0..<3).map {
            (TopicPartition(topic: "durable", partition: $0), KafkaOffset.beginning)
        }))
        let records = try await collect(consumer, count: sent.count)
        await consumer.close()
        #expect(Set(records.compactMap { $0.value?.text }) == Set(sent.compactMap { $0.value?.text }))
        try await second.stop()
    }

    @Test func consumeRunsBatchesOnItsThreadUntilCancelledAndRethrows() async throws {
        struct Refused: Error, Equatable {}
        let environment = try await KafkaTestEnvironment.start()
        try await environment.createTopic("pump", partitions: 2)
        let producer = try environment.producer()
        _ = try await producer.send((0..<500).map {
            KafkaOutgoingRecord(topic: "pump", partition: Int32($0 % 2), key: nil, value: "v\($0)".data)
        })
        let consumer = try environment.consumer()
        try consumer.assign([
            TopicPartition(topic: "pump", partition: 0): KafkaOffset.beginning,
            TopicPartition(topic: "pump", partition: 1): KafkaOffset.beginning,
        ])
        let seen = Locked((records: [KafkaRecord](), idleTicks: 0))
        let consuming = Task {
            try await consumer.consume(reportingIdle: true) { batch in
                seen.withLock { seen in
                    if batch.isEmpty { seen.idleTicks += 1 } else { seen.records += batch }
                }
            }
        }
        let deadline = ContinuousClock.now + .seconds(30)
        while seen.withLock({ $0.records.count < 500 || $0.idleTicks == 0 }) && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        consuming.cancel()
        try await consuming.value
        let (records, idleTicks) = seen.value
        #expect(idleTicks > 0, "a quiet log is reported with empty batches")
        for partition: Int32 in [0, 1] {
            let read = records.filter { $0.partition == partition }
            #expect(read.map(\.offset) == Array(0..<250), "partition \(partition): every record once, in order")
            #expect(read.map { $0.value!.text } == stride(from: Int(partition), to: 500, by: 2).map { "v\($0)" })
        }

        // An error thrown by the body ends the loop and comes back to the caller.
        _ = try await producer.send(KafkaOutgoingRecord(topic: "pump", partition: 0, key: nil, value: "last".data))
        await #expect(throws: Refused.self) {
            try await consumer.consume { batch in
                if batch.contains(where: { $0.value?.text == "last" }) { throw Refused() }
            }
        }
        await consumer.close()
        await producer.close()
        try await environment.broker.stop()
    }

    @Test func reportsReachCallbacksRegisteredBeforeOrAfterTheyArrive() async throws {
        let environment = try await KafkaTestEnvironment.start()
        try await environment.createTopic("callbacks", partitions: 1)
        let producer = try environment.producer()
        let reported = Locked<[Int: [Result<KafkaDeliveryReport, KafkaError>]]>([:])
        func record(_ index: Int) -> KafkaOutgoingRecord {
            KafkaOutgoingRecord(topic: "callbacks", partition: 0, key: nil, value: "v\(index)".data)
        }
        // The blocking hand-over (the closure is synchronous), as a consumer's thread uses it.
        let pending = try (0..<40).map { try producer.enqueue(record($0)) }
        for (index, delivery) in pending.enumerated().prefix(20) {
            delivery.whenReported { result in reported.withLock { $0[index, default: []].append(result) } }
        }
        // Reports of one partition come in order: once the last is in, the rest are too, and a
        // handler registered now is called at once.
        _ = try await producer.send(record(40))
        for (index, delivery) in pending.enumerated().dropFirst(20) {
            delivery.whenReported { result in reported.withLock { $0[index, default: []].append(result) } }
        }
        let deadline = ContinuousClock.now + .seconds(10)
        while reported.value.count < 40 && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        #expect(reported.value.values.allSatisfy { $0.count == 1 }, "each record reported once")
        let offsets = try (0..<40).map { index in try #require(reported.value[index]?.first).get().offset }
        #expect(offsets == Array(0..<40), "each record reported at its offset")

        // A record that cannot be delivered reaches its handler as a failure.
        try await environment.broker.stop()
        let lost = try environment.producer(["message.timeout.ms": "500"])
        let failure = Locked<KafkaError?>(nil)
        try await lost.enqueue(record(41)).whenReported { result in
            if case .failure(let error) = result { failure.withLock { $0 = error } }
        }
        let failDeadline = ContinuousClock.now + .seconds(20)
        while failure.value == nil && ContinuousClock.now < failDeadline { try await Task.sleep(for: .milliseconds(20)) }
        #expect(failure.value != nil, "the timed-out record is reported as failed")
        await lost.close()
        await producer.close()
    }

    @Test func consumingFromTheEndSeesOnlyNewRecords() async throws {
        let environment = try await KafkaTestEnvironment.start()
        try await environment.createTopic("tail", partitions: 1)
        let producer = try environment.producer()
        _ = try await producer.send((0..<10).map { KafkaOutgoingRecord(topic: "tail", key: nil, value: "old-\($0)".data) })
        let consumer = try environment.consumer()
        try consumer.assign([TopicPartition(topic: "tail", partition: 0): KafkaOffset.end])
        // Where "the end" is gets looked up asynchronously, so records written at once may fall
        // before it: new records keep coming until three have been read.
        let writer = Task {
            var index = 0
            while !Task.isCancelled {
                _ = try? await producer.send(KafkaOutgoingRecord(topic: "tail", key: nil, value: "new-\(index)".data))
                index += 1
                try? await Task.sleep(for: .milliseconds(100))
            }
        }
        let records = try await collect(consumer, count: 3)
        writer.cancel()
        _ = await writer.value
        #expect(records.allSatisfy { $0.value?.text.hasPrefix("new-") == true }, "an old record was read")
        let first = try #require(records.first?.offset)
        #expect(first >= 10)
        #expect(records.map(\.offset) == [first, first + 1, first + 2])
        #expect(records.map { $0.value!.text } == (0..<3).map { "new-\(Int(first) - 10 + $0)" })
        await consumer.close()
        await producer.close()
        try await environment.broker.stop()
    }
}
