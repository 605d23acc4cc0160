import Foundation
import Testing
import TestSupport

/// librdkafka 2.0.2 through Debian's kcat, unmodified, against the broker.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct KcatCompatibilityTests {
    @Test func listsTopicsAndPartitions() async throws {
        let environment = try await KafkaTestEnvironment.start()
        try await environment.createTopic("listed", partitions: 3)
        let output = try await ChildProcess.run("kcat", ["-b", environment.bootstrap, "-L"]).stdout
        #expect(output.contains("broker 0 at \(environment.bootstrap)"))
        #expect(output.contains("topic \"listed\" with 3 partitions"))
        for partition in 0..<3 {
            #expect(output.contains("partition \(partition), leader 0, replicas: 0, isrs: 0"))
        }
        #expect(!output.contains("__consumer_offsets"), "internal topics stay hidden")
        try await environment.broker.stop()
    }

    @Test(arguments: ["none", "gzip", "snappy", "lz4", "zstd"])
    func producesAndConsumesWithCodec(_ codec: String) async throws {
        let environment = try await KafkaTestEnvironment.start()
        let topic = "codec-\(codec)"
        try await environment.createTopic(topic, partitions: 1)
        let lines = (1...2000).map { "\(codec) line \($0) " + String(repeating: "x", count: $0 % 97) }
        try await ChildProcess.run(
            "kcat", ["-b", environment.bootstrap, "-P", "-t", topic, "-z", codec, "-X", "linger.ms=20"],
            stdin: (lines.joined(separator: "\n") + "\n").data
        )
        let consumed = try await ChildProcess.run(
            "kcat", ["-b", environment.bootstrap, "-C", "-t", topic, "-o", "beginning", "-e", "-q", "-f", "%s\n"]
        ).stdout
        #expect(consumed.split(separator: "\n").map(String.init) == lines)

        // The batches are stored as the client compressed them (attributes bits 0-2). The
        // client sends a batch uncompressed when compressing would not make it smaller (a
        // lone short record), so that is allowed too, but not for every batch. Read after a
        // clean stop, which cuts the file to its batches (it is allocated ahead while open).
        try await environment.broker.stop()
        let segment = [UInt8](try Data(contentsOf: URL(fileURLWithPath: "\(environment.broker.directory)/topics/\(topic)/0/00000000000000000000.log")))
        let codecId = ["none": 0, "gzip": 1, "snappy": 2, "lz4": 3, "zstd": 4][codec]!
        var codecs: [Int] = []
        var position = 0
        while position + 61 <= segment.count {
            codecs.append(Int(segment[position + 22]) & 0x7)
            let length = segment[(position + 8)..<(position + 12)].reduce(0) { $0 << 8 | Int($1) }
            position += 12 + length
        }
        #expect(position == segment.count)
        #expect(codecs.contains(codecId))
        #expect(codecs.allSatisfy { $0 == codecId || $0 == 0 }, "\(codecs)")
    }

    @Test func consumesAsAGroup() async throws {
        let environment = try await KafkaTestEnvironment.start()
        try await environment.createTopic("grouped", partitions: 4)
        let lines = (1...400).map { "record-\($0)" }
        try await ChildProcess.run(
            "kcat", ["-b", environment.bootstrap, "-P", "-t", "grouped", "-K", ":"],
            stdin: lines.enumerated().map { "k\($0.offset % 17):\($0.element)" }.joined(separator: "\n").data
        )
        let consumed = try await ChildProcess.run(
            "kcat",
            ["-b", environment.bootstrap, "-G", "kcat-group", "grouped", "-o", "beginning", "-e", "-q", "-f", "%s\n",
             "-X", "session.timeout.ms=6000"],
            timeout: .seconds(90)
        ).stdout
        #expect(Set(consumed.split(separator: "\n").map(String.init)) == Set(lines))
        #expect(consumed.split(separator: "\n").count == lines.count)
        try await environment.broker.stop()
    }
}
