import ArgumentParser
import Consumers
import Foundation
import GRDB
import Logging
import Producers
import Projections

/// `chat replay`: every projection rebuilt from offset 0 into fresh stores, for audit or to
/// replace a damaged one. The live system keeps running; the rebuild reads up to where the
/// log ends when it starts.
struct ReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Rebuild every projection from offset 0 into fresh stores.",
        discussion: "Needs a reachable Kafka: the broker of a running `chat serve`, or the cluster. The rebuilt read models (gateway.sqlite) and the delivery queue of every inbox partition (deliveries.sqlite) go into one new directory; a gateway started with them in DATA/gateway/ carries on from where the rebuild ended."
    )

    @Option(help: "The data directory of the node; the default output goes under it (env CHAT_DATA).")
    var data = Environment.value("CHAT_DATA") ?? "./data"

    @Option(help: "The directory for the rebuilt stores (default: DATA/replay/TIMESTAMP). It must not exist.")
    var into: String?

    @OptionGroup var kafka: KafkaOptions
    @OptionGroup var options: ChatOptions

    func run() async throws {
        let logger = Logger.make(label: "replay", level: options.logLevel(default: .error))
        let directory = into ?? "\(data)/replay/\(Self.stamp())"
        guard !FileManager.default.fileExists(atPath: directory) else {
            throw ValidationError("\(directory) exists: a replay writes fresh stores")
        }
        let rebuild = ProjectionRebuild(kafka: try kafka.configuration(), catalog: try options.catalog(), logger: logger)
        let ends = try await rebuild.logEnds()
        let readModels = try ChatDatabase(path: "\(directory)/\(ChatDatabase.Store.readModels.fileName)", store: .readModels)
        let deliveryQueue = try ChatDatabase(path: "\(directory)/\(ChatDatabase.Store.deliveryQueue.fileName)", store: .deliveryQueue)
        let report = ProgressReport(label: "replay")
        let done = try await rebuild.run(into: [.readModels: readModels, .deliveryQueue: deliveryQueue], until: ends) {
            report.update(done: $0.done, total: $0.total)
        }
        report.finish(done: done)
        let tables = try await readModels.writer.read { db in
            try ReadModelTables.verified.map { ($0.name, try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \($0.name)") ?? 0) }
        }
        let deliveries = try await deliveryQueue.writer.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM deliveries") ?? 0 }
        print("replayed \(done) events in \(String(format: "%.2f", report.elapsed)) s (\(Int(Double(done) / max(report.elapsed, 0.001))) events/s) into \(directory)")
        for (table, count) in tables + [("deliveries", deliveries)] { print("  \(table): \(count) rows") }
    }

    static func stamp() -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: Date())
    }
}
