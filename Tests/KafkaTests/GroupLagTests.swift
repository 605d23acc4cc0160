import Foundation
import Kafka
import Testing
import TestSupport

/// Committed offsets and lag as `chat groups` shows them.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct GroupLagTests {
    @Test func reportsCommittedEndAndLagPerPartition() async throws {
        let environment = try await KafkaTestEnvironment.start()
        try await environment.createTopic("lagging", partitions: 3)
        let producer = try environment.producer()
        _ = try await producer.send((0..<30).map {
            KafkaOutgoingRecord(topic: "lagging", partition: Int32($0 % 3), key: nil, value: "\($0)".data)
        })
        await producer.close()
        let consumer = try environment.consumer(["group.id": "laggards"])
        try await consumer.commit([
            TopicPartition(topic: "lagging", partition: 0): 10,
            TopicPartition(topic: "lagging", partition: 1): 4,
        ])
        await consumer.close()

        let admin = try environment.admin()
        let lags = try await admin.lag(group: "laggards", topics: ["lagging"]).sorted { $0.partition.partition < $1.partition.partition }
        #expect(lags.map(\.committed) == [10, 4, nil])
        #expect(lags.map(\.end) == [10, 10, 10])
        #expect(lags.map(\.lag) == [0, 6, 10])
        let committed = try await admin.committedOffsets(group: "laggards")
        #expect(committed == [
            TopicPartition(topic: "lagging", partition: 0): 10, TopicPartition(topic: "lagging", partition: 1): 4,
        ])
        await admin.close()

        let table = try await ChildProcess.run(try ChatBinary.path, ["groups", "laggards", "--kafka", environment.bootstrap]).stdout
        #expect(table.contains("lagging  0          10         10   0"))
        #expect(table.contains("lagging  1          4          10   6"))
        #expect(table.contains("lagging  2          -          10   10"), "a partition without a commit lags by all of it")
        #expect(table.contains("total lag: 16"))
        let listing = try await ChildProcess.run(try ChatBinary.path, ["groups", "--kafka", environment.bootstrap, "--json"]).stdout
        #expect(listing.contains(#""group":"laggards""#))
        #expect(listing.contains(#""lag":16"#))
        try await environment.broker.stop()
    }
}
