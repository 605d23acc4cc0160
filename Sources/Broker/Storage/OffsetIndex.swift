import NIOCore

/// A segment's sparse offset index: for some batches, the batch's base offset (relative to the
/// segment's) and its byte position. Lookups give the last indexed batch at or before an
/// offset, from which a reader walks forward over at most `index.interval.bytes` of batches.
struct OffsetIndex: Sendable {
    static let entrySize = 8

    struct Entry: Hashable, Sendable {
        var relativeOffset: UInt32
        var position: UInt32
    }

    private(set) var entries: [Entry] = []

    init() {}

    init(entries: [Entry]) { self.entries = entries }

    mutating func append(relativeOffset: UInt32, position: Int) {
        entries.append(Entry(relativeOffset: relativeOffset, position: UInt32(position)))
    }

    /// The position of the last indexed batch whose base offset is at most `relativeOffset`,
    /// or 0 when the offset precedes every entry.
    func position(atOrBefore relativeOffset: UInt32) -> Int {
        var low = 0
        var high = entries.count
        while low < high {
            let mid = (low + high) / 2
            if entries[mid].relativeOffset <= relativeOffset { low = mid + 1 } else { high = mid }
        }
        return low == 0 ? 0 : Int(entries[low - 1].position)
    }

    /// Drops the entries at or after `position` (used when the log is truncated there).
    mutating func truncate(toPosition position: Int) {
        entries.removeAll { Int($0.position) >= position }
    }

    var lastPosition: Int { entries.last.map { Int($0.position) } ?? 0 }

    // MARK: - File form

    func encoded() -> ByteBuffer {
        var buffer = ByteBufferAllocator().buffer(capacity: entries.count * Self.entrySize)
        for entry in entries {
            buffer.writeInteger(entry.relativeOffset)
            buffer.writeInteger(entry.position)
        }
        return buffer
    }

    /// Reads an index file; nil if it is not a whole number of ascending entries inside a log
    /// of `logSize` bytes, in which case the caller rebuilds it from the log.
    static func decode(_ buffer: ByteBuffer, logSize: Int) -> OffsetIndex? {
        guard buffer.readableBytes % entrySize == 0 else { return nil }
        var buffer = buffer
        var entries: [Entry] = []
        entries.reserveCapacity(buffer.readableBytes / entrySize)
        while let relative = buffer.readInteger(as: UInt32.self), let position = buffer.readInteger(as: UInt32.self) {
            if let last = entries.last, relative <= last.relativeOffset || position <= last.position { return nil }
            guard Int(position) < max(logSize, 1) else { return nil }
            entries.append(Entry(relativeOffset: relative, position: position))
        }
        return OffsetIndex(entries: entries)
    }
}
