import Broker
import Foundation
import Kafka
import Testing
import TestSupport

/// librdkafka's high-level consumer against the group coordinator, with each of the
/// assignors a chat worker may use.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct ConsumerGroupTests {
    static let assignors = ["range", "roundrobin", "cooperative-sticky"]
    let allPartitions = Set((0..<6).map { TopicPartition(topic: "work", partition: Int32($0)) })

    /// How long the members may take to consume what was produced. They commit after every
    /// record, a round trip each to the broker in this process; with the rest of the suite
    /// running on the same two cores, 600 of them once took longer than 20 s.
    static let consumption: Duration = .seconds(60)

    private func produce(_ environment: KafkaTestEnvironment, _ range: Range<Int>) async throws -> [String] {
        let producer = try environment.producer()
        let values = range.map { "record-\($0)" }
        _ = try await producer.send(values.enumerated().map { index, value in
            KafkaOutgoingRecord(topic: "work", partition: Int32(range.lowerBound + index) % 6, key: nil, value: value.data)
        })
        await producer.close()
        return values
    }

    private func members(_ count: Int, group: String, assignor: String, _ environment: KafkaTestEnvironment) throws -> [GroupMember] {
        try (0..<count).map { try GroupMember("member-\($0)", group: group, topic: "work", assignor: assignor, environment: environment) }
    }

    /// Waits until the members' assignments are disjoint and cover all six partitions.
    private func balanced(_ members: [GroupMember]) async -> Bool {
        await eventually(timeout: .seconds(40)) {
            let assignments = members.map(\.assignment)
            return assignments.allSatisfy { !$0.isEmpty }
                && assignments.reduce(0) { $0 + $1.count } == 6
                && assignments.reduce(into: Set<TopicPartition>()) { $0.formUnion($1) } == allPartitions
        }
    }

    @Test(arguments: assignors)
    func threeMembersConsumeEveryRecordExactlyOnce(assignor: String) async throws {
        let environment = try await KafkaTestEnvironment.start()
        try await environment.createTopic("work", partitions: 6)
        let group = try members(3, group: "exactly-once", assignor: assignor, environment)
        #expect(await balanced(group))
        #expect(group.allSatisfy { $0.assignment.count == 2 }, "six partitions split evenly")
        let sent = try await produce(environment, 0..<600)
        #expect(await eventually(timeout: Self.consumption) { group.reduce(0) { $0 + $1.received.value.count } >= 600 })
        let consumed = group.flatMap(\.values)
        #expect(consumed.count == 600)
        #expect(Set(consumed) == Set(sent))
        for member in group { await member.close() }
        try await environment.broker.stop()
    }

    @Test(arguments: assignors)
    func closedMemberHandsItsPartitionsToTheOthers(assignor: String) async throws {
        let environment = try await KafkaTestEnvironment.start()
        try await environment.createTopic("work", partitions: 6)
        var group = try members(3, group: "handover", assignor: assignor, environment)
        #expect(await balanced(group))
        await group.removeLast().close()
        #expect(await balanced(group))
        let sent = try await produce(environment, 0..<300)
        #expect(await eventually(timeout: Self.consumption) { Set(group.flatMap(\.values)).isSuperset(of: sent) })
        for member in group { await member.close() }
        try await environment.broker.stop()
    }

    @Test(arguments: assignors)
    func killedMemberIsReplacedAfterItsSessionTimeout(assignor: String) async throws {
        let environment = try await KafkaTestEnvironment.start()
        try await environment.createTopic("work", partitions: 6)
        let group = try members(2, group: "killed", assignor: assignor, environment)
        #expect(await balanced(group))
        // A third member in another process, killed without a chance to leave the group.
        let outsider = try ChildProcess("kcat", [
            "-b", environment.bootstrap, "-G", "killed", "work", "-q",
            "-X", "partition.assignment.strategy=\(assignor)", "-X", "session.timeout.ms=6000",
        ])
        #expect(await eventually(timeout: .seconds(40)) { group.map(\.assignment.count).reduce(0, +) == 4 })
        outsider.kill(SIGKILL)
        _ = try await outsider.wait()
        let killedAt = ContinuousClock.now
        #expect(await balanced(group))
        #expect(ContinuousClock.now - killedAt >= .seconds(4), "reassigned by the session timeout, not by a leave")
        let sent = try await produce(environment, 0..<120)
        #expect(await eventually(timeout: Self.consumption) { Set(group.flatMap(\.values)).isSuperset(of: sent) })
        for member in group { await member.close() }
        try await environment.broker.stop()
    }

    @Test(arguments: assignors)
    func restartedMembersResumeFromCommittedOffsets(assignor: String) async throws {
        let environment = try await KafkaTestEnvironment.start()
        try await environment.createTopic("work", partitions: 6)
        let first = try await produce(environment, 0..<300)
        var group = try members(3, group: "resume", assignor: assignor, environment)
        #expect(await eventually(timeout: Self.consumption) { Set(group.flatMap(\.values)) == Set(first) })
        for member in group { await member.close() }

        let second = try await produce(environment, 300..<450)
        group = try members(3, group: "resume", assignor: assignor, environment)
        #expect(await eventually(timeout: Self.consumption) { Set(group.flatMap(\.values)).isSuperset(of: second) })
        #expect(Set(group.flatMap(\.values)).isDisjoint(with: first), "nothing committed is read again")
        for member in group { await member.close() }

        // The committed offsets survive a broker restart too.
        let port = environment.broker.broker.port
        try await environment.broker.stop()
        let broker = try await TestBroker.start(directory: environment.broker.directory, port: port)
        let restarted = KafkaTestEnvironment(directory: environment.directory, broker: broker, logger: environment.logger)
        let third = try await produce(restarted, 450..<510)
        group = try members(3, group: "resume", assignor: assignor, restarted)
        #expect(await eventually(timeout: Self.consumption) { Set(group.flatMap(\.values)).isSuperset(of: third) })
        #expect(Set(group.flatMap(\.values)).isDisjoint(with: first + second))
        for member in group { await member.close() }
        try await broker.stop()
    }
}
