import ArgumentParser
import Consumers
import Foundation
import GRDB
import Logging
import Producers
import Projections

/// `chat replay`: every read model rebuilt from offset 0 into a fresh store, for audit or to
/// replace a damaged one. The live system keeps running; the rebuild reads up to where the
/// log ends when it starts.
struct ReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Rebuild every projection from offset 0 into a fresh store.",
        discussion: "Needs a reachable Kafka: the broker of a running `chat serve`, or the cluster. A gateway started with the rebuilt file as DATA/gateway/gateway.sqlite carries on from where the rebuild ended."
    )

    @Option(help: "The data directory of the node; the default store goes under it (env CHAT_DATA).")
    var data = Environment.value("CHAT_DATA") ?? "./data"

    @Option(help: "The new store (default: DATA/replay/gateway-TIMESTAMP.sqlite). It must not exist.")
    var into: String?

    @OptionGroup var kafka: KafkaOptions
    @OptionGroup var options: ChatOptions

    func run() async throws {
        let logger = Logger.make(label: "replay", level: options.logLevel(default: .error))
        let path = into ?? "\(data)/replay/gateway-\(Self.stamp()).sqlite"
        guard !FileManager.default.fileExists(atPath: path) else {
            throw ValidationError("\(path) exists: a replay writes a fresh store")
        }
        let rebuild = ProjectionRebuild(kafka: try kafka.configuration(), catalog: try options.catalog(), logger: logger)
        let ends = try await rebuild.logEnds()
        let store = try ChatDatabase(path: path)
        let report = ProgressReport(label: "replay")
        let done = try await rebuild.run(into: store, until: ends) { report.update(done: $0.done, total: $0.total) }
        report.finish(done: done)
        let counts = try await store.writer.read { db in
            try ReadModelTables.verified.map { ($0.name, try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \($0.name)") ?? 0) }
                + [("deliveries", try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM deliveries") ?? 0)]
        }
        print("replayed \(done) events in \(String(format: "%.2f", report.elapsed)) s (\(Int(Double(done) / max(report.elapsed, 0.001))) events/s) into \(path)")
        for (table, count) in counts { print("  \(table): \(count) rows") }
    }

    static func stamp() -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: Date())
    }
}
