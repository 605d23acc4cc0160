@testable import Broker
import NIOCore
import Testing

@Suite struct OffsetIndexTests {
    private let sample = OffsetIndex(entries: [
        .init(relativeOffset: 0, position: 0),
        .init(relativeOffset: 5, position: 100),
        .init(relativeOffset: 10, position: 250),
    ])

    @Test func emptyIndexPointsAtTheStart() {
        let index = OffsetIndex()
        #expect(index.position(atOrBefore: 0) == 0)
        #expect(index.position(atOrBefore: .max) == 0)
        #expect(index.lastPosition == 0)
    }

    static let lookups: [(relativeOffset: UInt32, position: Int)] = [
        (0, 0), (4, 0), (5, 100), (7, 100), (9, 100), (10, 250), (11, 250), (.max, 250),
    ]

    @Test(arguments: lookups)
    func lookupGivesTheLastEntryAtOrBefore(_ relative: UInt32, _ position: Int) {
        #expect(sample.position(atOrBefore: relative) == position)
    }

    @Test func offsetBeforeEveryEntryGivesPositionZero() {
        let index = OffsetIndex(entries: [.init(relativeOffset: 3, position: 40), .init(relativeOffset: 8, position: 90)])
        #expect(index.position(atOrBefore: 2) == 0)
        #expect(index.position(atOrBefore: 3) == 40)
        #expect(index.lastPosition == 90)
    }

    @Test func appendKeepsOrder() {
        var index = OffsetIndex()
        index.append(relativeOffset: 0, position: 0)
        index.append(relativeOffset: 3, position: 180)
        #expect(index.entries == [.init(relativeOffset: 0, position: 0), .init(relativeOffset: 3, position: 180)])
        #expect(index.lastPosition == 180)
    }

    @Test func truncateDropsEntriesAtOrAfterThePosition() {
        var index = sample
        index.truncate(toPosition: 251)
        #expect(index.entries.count == 3)
        index.truncate(toPosition: 250)
        #expect(index.entries.map(\.position) == [0, 100])
        index.truncate(toPosition: 1)
        #expect(index.entries.map(\.position) == [0])
        index.truncate(toPosition: 0)
        #expect(index.entries.isEmpty)
    }

    @Test func encodesAsBigEndianPairs() {
        let bytes = Array(sample.encoded().readableBytesView)
        #expect(bytes == [
            0, 0, 0, 0, 0, 0, 0, 0,
            0, 0, 0, 5, 0, 0, 0, 100,
            0, 0, 0, 10, 0, 0, 0, 250,
        ])
    }

    @Test func decodeRoundTrips() throws {
        let decoded = try #require(OffsetIndex.decode(sample.encoded(), logSize: 300))
        #expect(decoded.entries == sample.entries)
        #expect(OffsetIndex.decode(ByteBuffer(), logSize: 0)?.entries == [])
    }

    @Test func decodeRejectsPartialEntries() {
        var bytes = sample.encoded()
        bytes.writeInteger(UInt8(1))
        #expect(OffsetIndex.decode(bytes, logSize: 300) == nil)
    }

    @Test func decodeRejectsEntriesThatDoNotAscend() {
        let sameOffset = OffsetIndex(entries: [.init(relativeOffset: 0, position: 0), .init(relativeOffset: 0, position: 10)])
        let samePosition = OffsetIndex(entries: [.init(relativeOffset: 0, position: 10), .init(relativeOffset: 2, position: 10)])
        let backwards = OffsetIndex(entries: [.init(relativeOffset: 4, position: 0), .init(relativeOffset: 2, position: 10)])
        for index in [sameOffset, samePosition, backwards] {
            #expect(OffsetIndex.decode(index.encoded(), logSize: 1000) == nil)
        }
    }

    @Test func decodeRejectsPositionsOutsideTheLog() {
        #expect(OffsetIndex.decode(sample.encoded(), logSize: 250) == nil)
        #expect(OffsetIndex.decode(sample.encoded(), logSize: 251) != nil)
        // An entry at position 0 is allowed for an empty log (a segment that was just created).
        let first = OffsetIndex(entries: [.init(relativeOffset: 0, position: 0)])
        #expect(OffsetIndex.decode(first.encoded(), logSize: 0) != nil)
    }
}
