import ArgumentParser
import ChatClient
import Foundation
import Kafka
import Logging

/// `chat groups`: consumer groups, their members and how far behind they are.
struct GroupsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "groups",
        abstract: "List consumer groups, or show one group's committed offsets and lag per partition."
    )

    @OptionGroup var kafka: KafkaOptions

    @Argument(help: "A group to describe; without it, every group is listed.")
    var group: String?

    @Flag(help: "Print JSON lines instead of a table.")
    var json = false

    func run() async throws {
        let logger = Logger.make(label: "groups", level: .error)
        try await kafka.withAdmin(logger: logger) { admin in
            if let group {
                try await describe(group, admin)
            } else {
                try await list(admin)
            }
        }
    }

    private func list(_ admin: KafkaAdmin) async throws {
        let groups = try await admin.groups()
        var rows: [[String]] = []
        for group in groups {
            let lag = try await admin.lag(group: group.name).reduce(0) { $0 + $1.lag }
            if json {
                printJSON(["group": group.name, "state": group.state, "members": group.members, "lag": lag])
            }
            rows.append([group.name, group.state, "\(group.members)", "\(lag)"])
        }
        if !json { print(Table(header: ["GROUP", "STATE", "MEMBERS", "LAG"], rows: rows)) }
    }

    private func describe(_ group: String, _ admin: KafkaAdmin) async throws {
        let lags = try await admin.lag(group: group).sorted {
            ($0.partition.topic, $0.partition.partition) < ($1.partition.topic, $1.partition.partition)
        }
        if json {
            for lag in lags {
                printJSON([
                    "group": group, "topic": lag.partition.topic, "partition": Int(lag.partition.partition),
                    "committed": lag.committed.map { Int($0) as Any } ?? NSNull(), "end": Int(lag.end), "lag": Int(lag.lag),
                ])
            }
            return
        }
        let rows = lags.map { lag in
            [lag.partition.topic, "\(lag.partition.partition)", lag.committed.map(String.init) ?? "-", "\(lag.end)", "\(lag.lag)"]
        }
        print(Table(header: ["TOPIC", "PARTITION", "COMMITTED", "END", "LAG"], rows: rows))
        print("total lag: \(lags.reduce(0) { $0 + $1.lag })")
    }
}

/// Left-aligned text columns, as Kafka's own command-line tools print them.
struct Table: CustomStringConvertible {
    var header: [String]
    var rows: [[String]]

    var description: String {
        let widths = header.indices.map { column in
            ([header] + rows).map { $0[column].count }.max() ?? 0
        }
        return ([header] + rows).map { row in
            row.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) }
                .joined(separator: "  ").trimmingCharacters(in: .whitespaces)
        }.joined(separator: "\n")
    }
}

/// Prints one JSON object per line, keys sorted, for scripts.
func printJSON(_ object: [String: Any]) {
    print(JSONValue.text(object))
}
