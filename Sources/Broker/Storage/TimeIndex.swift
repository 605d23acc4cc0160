import NIOCore

/// A segment's sparse time index: the largest timestamp seen so far and the base offset of
/// the batch that raised it. Used by ListOffsets to find where to start looking for a time.
struct TimeIndex: Sendable {
    static let entrySize = 12

    struct Entry: Hashable, Sendable {
        var timestamp: Int64
        var relativeOffset: UInt32
    }

    private(set) var entries: [Entry] = []

    init() {}

    init(entries: [Entry]) { self.entries = entries }

    var lastTimestamp: Int64 { entries.last?.timestamp ?? -1 }

    mutating func append(timestamp: Int64, relativeOffset: UInt32) {
        guard timestamp > lastTimestamp else { return }
        entries.append(Entry(timestamp: timestamp, relativeOffset: relativeOffset))
    }

    /// The relative offset from which a scan for the first record at or after `timestamp` may
    /// start: every batch before the returned one has only older records.
    func startOffset(forTimestamp timestamp: Int64) -> UInt32 {
        var low = 0
        var high = entries.count
        while low < high {
            let mid = (low + high) / 2
            if entries[mid].timestamp < timestamp { low = mid + 1 } else { high = mid }
        }
        // entries[low - 1] is the last whose running maximum is below the target: everything
        // up to and including its batch is older, so the scan may start at that batch.
        return low == 0 ? 0 : entries[low - 1].relativeOffset
    }

    mutating func truncate(afterRelativeOffset relativeOffset: UInt32) {
        entries.removeAll { $0.relativeOffset > relativeOffset }
    }

    // MARK: - File form

    func encoded() -> ByteBuffer {
        var buffer = ByteBufferAllocator().buffer(capacity: entries.count * Self.entrySize)
        for entry in entries {
            buffer.writeInteger(entry.timestamp)
            buffer.writeInteger(entry.relativeOffset)
        }
        return buffer
    }

    static func decode(_ buffer: ByteBuffer) -> TimeIndex? {
        guard buffer.readableBytes % entrySize == 0 else { return nil }
        var buffer = buffer
        var entries: [Entry] = []
        while let timestamp = buffer.readInteger(as: Int64.self), let relative = buffer.readInteger(as: UInt32.self) {
            if let last = entries.last, timestamp <= last.timestamp || relative < last.relativeOffset { return nil }
            entries.append(Entry(timestamp: timestamp, relativeOffset: relative))
        }
        return TimeIndex(entries: entries)
    }
}
