@testable import Broker
import NIOCore
import Testing

@Suite struct TimeIndexTests {
    private let sample = TimeIndex(entries: [
        .init(timestamp: 100, relativeOffset: 0),
        .init(timestamp: 200, relativeOffset: 3),
        .init(timestamp: 300, relativeOffset: 7),
    ])

    @Test func appendKeepsOnlyNewMaximums() {
        var index = TimeIndex()
        #expect(index.lastTimestamp == -1)
        index.append(timestamp: 100, relativeOffset: 0)
        index.append(timestamp: 100, relativeOffset: 1)
        index.append(timestamp: 50, relativeOffset: 2)
        index.append(timestamp: 150, relativeOffset: 3)
        #expect(index.entries == [.init(timestamp: 100, relativeOffset: 0), .init(timestamp: 150, relativeOffset: 3)])
        #expect(index.lastTimestamp == 150)
    }

    /// The scan may start at the last batch whose running maximum is below the target, since
    /// nothing up to it can match; with no such batch it starts at the segment's beginning.
    static let lookups: [(timestamp: Int64, relativeOffset: UInt32)] = [
        (0, 0), (99, 0), (100, 0), (101, 0), (200, 0), (201, 3), (300, 3), (301, 7), (.max, 7),
    ]

    @Test(arguments: lookups)
    func startOffsetForTimestamp(_ timestamp: Int64, _ relative: UInt32) {
        #expect(sample.startOffset(forTimestamp: timestamp) == relative)
    }

    @Test func emptyIndexStartsAtZero() {
        #expect(TimeIndex().startOffset(forTimestamp: 12345) == 0)
    }

    @Test func truncateDropsEntriesAfterTheOffset() {
        var index = sample
        index.truncate(afterRelativeOffset: 7)
        #expect(index.entries.count == 3)
        index.truncate(afterRelativeOffset: 6)
        #expect(index.entries.map(\.relativeOffset) == [0, 3])
        index.truncate(afterRelativeOffset: 3)
        #expect(index.entries.map(\.relativeOffset) == [0, 3])
        index.truncate(afterRelativeOffset: 0)
        #expect(index.entries == [.init(timestamp: 100, relativeOffset: 0)])
        #expect(index.lastTimestamp == 100)
    }

    @Test func encodesAsBigEndianTimestampAndOffset() {
        let bytes = Array(TimeIndex(entries: [.init(timestamp: 0x0102_0304_0506_0708, relativeOffset: 9)]).encoded().readableBytesView)
        #expect(bytes == [1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 9])
        #expect(sample.encoded().readableBytes == 3 * TimeIndex.entrySize)
    }

    @Test func decodeRoundTrips() throws {
        let decoded = try #require(TimeIndex.decode(sample.encoded()))
        #expect(decoded.entries == sample.entries)
        #expect(TimeIndex.decode(ByteBuffer())?.entries == [])
    }

    @Test func decodeRejectsPartialOrUnorderedEntries() {
        var partial = sample.encoded()
        partial.moveWriterIndex(to: partial.writerIndex - 1)
        #expect(TimeIndex.decode(partial) == nil)

        let sameTime = TimeIndex(entries: [.init(timestamp: 5, relativeOffset: 0), .init(timestamp: 5, relativeOffset: 1)])
        let offsetBackwards = TimeIndex(entries: [.init(timestamp: 5, relativeOffset: 4), .init(timestamp: 6, relativeOffset: 1)])
        #expect(TimeIndex.decode(sameTime.encoded()) == nil)
        #expect(TimeIndex.decode(offsetBackwards.encoded()) == nil)

        // Two maximums raised within one batch's offsets are not reachable by appends, but legal.
        let sameOffset = TimeIndex(entries: [.init(timestamp: 5, relativeOffset: 1), .init(timestamp: 6, relativeOffset: 1)])
        #expect(TimeIndex.decode(sameOffset.encoded())?.entries == sameOffset.entries)
    }
}
