import Foundation
import KafkaProtocol

/// Snapshots of a partition's idempotent-producer state, one file per offset
/// (`<offset>.snapshot` holds the state after every batch below that offset). A snapshot is
/// written at each segment roll and at a clean close, so recovery replays one segment at most.
enum ProducerSnapshots {
    static func path(directory: String, offset: Int64) -> String {
        "\(directory)/\(LogSegment.fileName(offset, "snapshot"))"
    }

    static func write(_ table: ProducerStateTable, directory: String, offset: Int64) throws {
        try writeDurably(JSONEncoder().encode(table), to: path(directory: directory, offset: offset))
    }

    /// The offsets of the snapshots in `directory`, ascending.
    static func offsets(directory: String) -> [Int64] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.compactMap { name in
            name.hasSuffix(".snapshot") ? Int64(name.dropLast(9)) : nil
        }.sorted()
    }

    static func read(directory: String, offset: Int64) -> ProducerStateTable? {
        guard let data = FileManager.default.contents(atPath: path(directory: directory, offset: offset)) else { return nil }
        return try? JSONDecoder().decode(ProducerStateTable.self, from: data)
    }

    /// Rebuilds the producer state at the log end: from the snapshot at the log end after a
    /// clean shutdown, otherwise from the last snapshot at or before the active segment plus a
    /// replay of the active segment's batch headers (`walked`, or walked now).
    static func restore(
        directory: String, active: LogSegment, logEndOffset: Int64, walked: [RecordBatchHeader]?, trustLatest: Bool
    ) throws -> ProducerStateTable {
        if trustLatest, let table = read(directory: directory, offset: logEndOffset) { return table }
        let base = offsets(directory: directory).last { $0 <= active.baseOffset }
        var table = base.flatMap { read(directory: directory, offset: $0) } ?? ProducerStateTable()
        var headers = walked ?? []
        if walked == nil {
            _ = try BatchScanner(file: active.file, validatesChecksums: false).walk(from: 0, to: active.size) {
                headers.append($0.header)
                return true
            }
        }
        for header in headers where header.baseOffset >= (base ?? 0) {
            table.record(header, baseOffset: header.baseOffset)
        }
        return table
    }

    /// Removes snapshots that no recovery can use any more.
    static func removeStale(directory: String, keepingFrom firstSegmentBase: Int64, upTo logEndOffset: Int64) {
        for offset in offsets(directory: directory) where offset < firstSegmentBase || offset > logEndOffset {
            unlink(path(directory: directory, offset: offset))
        }
    }
}
