import ArgumentParser
import Consumers
import Foundation
import Gateway
import GRDB
import Logging
import Producers
import Projections

/// `chat verify`: rebuilds the read models into a shadow store and compares them with the
/// live ones, table by table, by digest. It works while the system runs: the live store is
/// copied as of one moment (SQLite's backup), and the shadow is rebuilt to exactly the
/// offsets that copy had applied.
struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Compare the live read models with a rebuild from the log; exit 1 and print the first difference on a mismatch."
    )

    @Option(help: "The data directory of the node to verify, as given to `chat serve` or `chat gateway` (env CHAT_DATA).")
    var data = Environment.value("CHAT_DATA") ?? "./data"

    @OptionGroup var kafka: KafkaOptions
    @OptionGroup var options: ChatOptions

    func run() async throws {
        let logger = Logger.make(label: "verify", level: options.logLevel(default: .error))
        let livePath = DataLayout(root: data).readModels
        guard FileManager.default.fileExists(atPath: livePath) else { throw ValidationError("no read models at \(livePath)") }
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("chat-verify-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }

        // One consistent moment of the live store, whatever it applies meanwhile.
        let snapshot = try DatabaseQueue(path: "\(scratch)/live.sqlite")
        try DatabasePool(path: livePath).backup(to: snapshot)
        let live = try ChatDatabase(path: "\(scratch)/live.sqlite", store: .readModels)
        let catalog = try options.catalog()
        // The projections whose tables are compared (the delivery queue's are not).
        let projections = ProjectionRebuild.Projection.allCases.filter { projection in
            ReadModelTables.verified.contains { $0.projection == projection.storedName }
        }
        let ends = try await ProjectionRebuild.appliedOffsets(in: live, catalog: catalog, of: projections)

        let shadow = try ChatDatabase(path: "\(scratch)/shadow.sqlite", store: .readModels)
        let report = ProgressReport(label: "rebuild")
        let rebuild = ProjectionRebuild(kafka: try kafka.configuration(), catalog: catalog, logger: logger)
        let done = try await rebuild.run(into: [.readModels: shadow], until: ends) { report.update(done: $0.done, total: $0.total) }
        report.finish(done: done)

        var firstDifference: String?
        for table in ReadModelTables.verified {
            let (liveDigest, shadowDigest, difference) = try await Self.compare(table, live: live, shadow: shadow)
            let verdict = liveDigest.digest == shadowDigest.digest ? "ok" : "MISMATCH"
            print("\(table.name.padding(toLength: 16, withPad: " ", startingAt: 0)) \(liveDigest.rows) rows  live \(liveDigest.digest.prefix(16))  rebuilt \(shadowDigest.digest.prefix(16))  \(verdict)")
            if firstDifference == nil, let difference { firstDifference = "\(table.name): \(difference)" }
        }
        if let firstDifference {
            print("first difference in \(firstDifference)")
            throw ExitCode(1)
        }
        print("verified: the read models of \(livePath) match a rebuild of \(done) events from the log")
    }

    struct Digest {
        var digest: String
        var rows: Int
    }

    /// Both tables' digests and, if they differ, the first differing row.
    static func compare(_ table: ReadModelTables.Table, live: ChatDatabase, shadow: ChatDatabase) async throws -> (Digest, Digest, String?) {
        try await live.writer.read { liveDB in
            try shadow.writer.unsafeReentrantRead { shadowDB in
                let liveRows = try ReadModelTables.rows(of: table, in: liveDB)
                let shadowRows = try ReadModelTables.rows(of: table, in: shadowDB)
                let liveHash = SHA256Stream()
                let shadowHash = SHA256Stream()
                var counts = (0, 0)
                var difference: String?
                while true {
                    let left = try liveRows.next().map { ReadModelTables.dump($0, of: table) }
                    let right = try shadowRows.next().map { ReadModelTables.dump($0, of: table) }
                    if left == nil && right == nil { break }
                    if let left { counts.0 += 1; Self.feed(liveHash, left.text) }
                    if let right { counts.1 += 1; Self.feed(shadowHash, right.text) }
                    if difference == nil, left != right {
                        difference = switch (left, right) {
                        case (let left?, let right?) where left.key == right.key:
                            "row \(left.key)\n  live:    \(left.text)\n  rebuilt: \(right.text)"
                        case (let left?, let right?):
                            "live has row \(left.key) where the rebuild has \(right.key)"
                        case (let left?, nil): "live has row \(left.key) that the rebuild lacks"
                        case (nil, let right?): "the rebuild has row \(right.key) that live lacks"
                        case (nil, nil): nil
                        }
                    }
                }
                return (Digest(digest: liveHash.finalizeHex(), rows: counts.0), Digest(digest: shadowHash.finalizeHex(), rows: counts.1), difference)
            }
        }
    }

    private static func feed(_ hash: SHA256Stream, _ text: String) {
        (text + "\n").utf8CString.dropLast().withUnsafeBytes { hash.update($0) }
    }
}
