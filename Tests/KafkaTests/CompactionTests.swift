import Foundation
import Kafka
import Testing
import TestSupport

/// Topics with `cleanup.policy=compact`: after compaction only the latest record of each
/// key is left, tombstoned keys disappear, and offsets do not change.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct CompactionTests {
    @Test(arguments: ["none", "gzip", "snappy", "lz4", "zstd"])
    func keepsTheLatestValuePerKey(codec: String) async throws {
        let environment = try await KafkaTestEnvironment.start { $0.cleanupInterval = .milliseconds(100) }
        try await environment.createTopic("profiles", partitions: 1, configs: [
            "cleanup.policy": "compact", "segment.bytes": "2048", "delete.retention.ms": "0",
            "min.cleanable.dirty.ratio": "0.01",
        ])
        let producer = try environment.producer(["compression.codec": codec, "linger.ms": "0"])
        var offsetOfLatest: [String: Int64] = [:]
        for round in 0..<8 {
            // One batch per round: all ten keys with this round's value.
            let reports = try await producer.send((0..<10).map {
                KafkaOutgoingRecord(topic: "profiles", partition: 0, key: "user-\($0)".data, value: "user-\($0) v\(round)".data)
            })
            for (index, report) in reports.enumerated() { offsetOfLatest["user-\(index)"] = report.offset }
        }
        _ = try await producer.send(KafkaOutgoingRecord(topic: "profiles", partition: 0, key: "user-3".data, value: nil))
        offsetOfLatest["user-3"] = nil
        // Roll the segments so the records above are in closed, compactable ones.
        for index in 0..<40 {
            _ = try await producer.send(KafkaOutgoingRecord(
                topic: "profiles", partition: 0, key: "filler-\(index)".data, value: Data(repeating: 0x61, count: 100)
            ))
        }
        await producer.close()

        var survivors: [KafkaRecord] = []
        let compacted = await eventually(timeout: .seconds(30)) {
            survivors = (try? await readAll(environment, topic: "profiles").filter { $0.key?.text.hasPrefix("user-") == true }) ?? []
            return survivors.count == 9
        }
        #expect(compacted, "expected 9 surviving user records, found \(survivors.count)")
        #expect(Set(survivors.map { $0.key!.text }) == Set((0..<10).filter { $0 != 3 }.map { "user-\($0)" }))
        for record in survivors {
            #expect(record.value?.text == "\(record.key!.text) v7", "the latest value survives")
            #expect(record.offset == offsetOfLatest[record.key!.text], "offsets do not change")
        }
        try await environment.broker.stop()
    }

    private func readAll(_ environment: KafkaTestEnvironment, topic: String) async throws -> [KafkaRecord] {
        let consumer = try environment.consumer()
        do {
            let end = try await consumer.watermarks(TopicPartition(topic: topic, partition: 0)).high
            try consumer.assign([TopicPartition(topic: topic, partition: 0): KafkaOffset.beginning])
            var records: [KafkaRecord] = []
            for try await record in consumer.records {
                records.append(record)
                if record.offset >= end - 1 { break }
            }
            await consumer.close()
            return records
        } catch {
            await consumer.close()
            throw error
        }
    }
}
