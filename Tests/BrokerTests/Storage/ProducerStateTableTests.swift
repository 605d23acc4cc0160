import Foundation
@testable import Broker
import KafkaProtocol
import Testing

@Suite struct ProducerStateTableTests {
    private static let producer: Int64 = 42

    /// The header of an idempotent batch of `count` records.
    private func batch(
        _ baseSequence: Int32, count: Int32 = 1, epoch: Int16 = 0, producer: Int64 = producer
    ) -> RecordBatchHeader {
        RecordBatchHeader(
            lastOffsetDelta: count - 1, producerId: producer, producerEpoch: epoch, baseSequence: baseSequence,
            recordCount: count
        )
    }

    private func rejection(_ decision: ProducerStateTable.Decision) -> KafkaErrorCode? {
        if case .reject(let code, _) = decision { return code }
        return nil
    }

    /// A table that has seen `count` batches of 3 records from the producer, at offsets 100, 110, ….
    private func tableWithBatches(_ count: Int) -> ProducerStateTable {
        var table = ProducerStateTable()
        for index in 0..<count {
            let header = batch(Int32(index * 3), count: 3)
            #expect(table.decide(header) == .append)
            table.record(header, baseOffset: 100 + Int64(index) * 10)
        }
        return table
    }

    @Test func batchesWithoutProducerIdAreNeverTracked() {
        var table = ProducerStateTable()
        let plain = RecordBatchHeader(lastOffsetDelta: 2, recordCount: 3)
        #expect(table.decide(plain) == .append)
        table.record(plain, baseOffset: 0)
        table.record(plain, baseOffset: 3)
        #expect(table.producers.isEmpty)
        #expect(table.decide(plain) == .append)
    }

    @Test(arguments: [Int32(0), 1, 17, 1_000_000, Int32.max])
    func unknownProducerIsAcceptedAtAnySequence(_ sequence: Int32) {
        #expect(ProducerStateTable().decide(batch(sequence, count: 1)) == .append)
    }

    @Test func batchesInSequenceAreAppended() throws {
        var table = tableWithBatches(7)
        let next = batch(21, count: 2)
        #expect(table.decide(next) == .append)
        table.record(next, baseOffset: 170)
        #expect(table.decide(batch(23)) == .append)
        let state = try #require(table.producers[Self.producer])
        #expect(state.epoch == 0)
        #expect(state.batches.count == ProducerStateTable.window)
        #expect(state.batches.last == .init(firstSequence: 21, lastSequence: 22, baseOffset: 170))
    }

    /// A retry of any of the last five batches is acknowledged with the offset it got first.
    @Test(arguments: 2...6)
    func retryOfARecentBatchIsADuplicate(_ index: Int) {
        let table = tableWithBatches(7)
        #expect(table.decide(batch(Int32(index * 3), count: 3)) == .duplicate(baseOffset: 100 + Int64(index) * 10))
    }

    /// Batches older than the window are no longer recognised; they are out of sequence now.
    @Test(arguments: 0...1)
    func retryOlderThanTheWindowIsOutOfOrder(_ index: Int) {
        let table = tableWithBatches(7)
        #expect(rejection(table.decide(batch(Int32(index * 3), count: 3))) == .outOfOrderSequenceNumber)
    }

    @Test func windowHoldsTheLastFiveBatches() throws {
        let table = tableWithBatches(7)
        let state = try #require(table.producers[Self.producer])
        let expected = (2..<7).map { (index: Int) -> ProducerStateTable.Batch in
            let first = Int32(index * 3)
            return ProducerStateTable.Batch(firstSequence: first, lastSequence: first + 2, baseOffset: 100 + Int64(index) * 10)
        }
        #expect(state.batches == expected)
    }

    @Test func duplicateMustMatchTheWholeSequenceRange() {
        let table = tableWithBatches(3)
        // Same first sequence as the last batch (6...8) but a different length: not a retry.
        #expect(rejection(table.decide(batch(6, count: 2))) == .outOfOrderSequenceNumber)
        #expect(rejection(table.decide(batch(6, count: 4))) == .outOfOrderSequenceNumber)
        #expect(table.decide(batch(6, count: 3)) == .duplicate(baseOffset: 120))
    }

    @Test func gapInSequenceIsRejected() {
        let table = tableWithBatches(2)  // sequences 0...5
        let decision = table.decide(batch(7))
        #expect(rejection(decision) == .outOfOrderSequenceNumber)
        if case .reject(_, let reason) = decision {
            #expect(reason.contains("expected 6"))
        }
        #expect(rejection(table.decide(batch(5))) == .outOfOrderSequenceNumber)
        #expect(table.decide(batch(6)) == .append)
    }

    @Test func lowerEpochIsFenced() {
        var table = ProducerStateTable()
        table.record(batch(0, epoch: 3), baseOffset: 0)
        #expect(rejection(table.decide(batch(1, epoch: 2))) == .invalidProducerEpoch)
        #expect(rejection(table.decide(batch(0, epoch: 2))) == .invalidProducerEpoch)
        #expect(table.decide(batch(1, epoch: 3)) == .append)
    }

    @Test func higherEpochMustStartAtSequenceZero() {
        var table = tableWithBatches(3)
        #expect(rejection(table.decide(batch(9, epoch: 1))) == .outOfOrderSequenceNumber)
        #expect(rejection(table.decide(batch(1, epoch: 1))) == .outOfOrderSequenceNumber)
        let restart = batch(0, count: 2, epoch: 1)
        #expect(table.decide(restart) == .append)
        table.record(restart, baseOffset: 500)
        #expect(table.producers[Self.producer] == .init(epoch: 1, batches: [.init(firstSequence: 0, lastSequence: 1, baseOffset: 500)]))
        // The old epoch's batches are forgotten and the old epoch is now fenced.
        #expect(rejection(table.decide(batch(6, count: 3, epoch: 0))) == .invalidProducerEpoch)
        #expect(table.decide(batch(0, count: 2, epoch: 1)) == .duplicate(baseOffset: 500))
        #expect(table.decide(batch(2, epoch: 1)) == .append)
    }

    @Test func sequenceWrapsAfterInt32Max() {
        var table = ProducerStateTable()
        let last = batch(Int32.max - 2, count: 3)  // ends exactly at Int32.max
        #expect(last.lastSequence == Int32.max)
        table.record(last, baseOffset: 10)
        #expect(table.decide(batch(0)) == .append)
        #expect(rejection(table.decide(batch(Int32.max))) == .outOfOrderSequenceNumber)
        #expect(table.decide(last) == .duplicate(baseOffset: 10))
    }

    @Test func batchSpanningTheWrapIsTrackedByItsLastSequence() {
        var table = ProducerStateTable()
        table.record(batch(Int32.max - 3, count: 2), baseOffset: 0)  // ...max-2
        let spanning = batch(Int32.max - 1, count: 3)  // max-1, max, 0
        #expect(spanning.lastSequence == 0)
        #expect(table.decide(spanning) == .append)
        table.record(spanning, baseOffset: 2)
        #expect(table.decide(batch(1)) == .append)
        #expect(rejection(table.decide(batch(0))) == .outOfOrderSequenceNumber)
        #expect(table.decide(spanning) == .duplicate(baseOffset: 2))
    }

    @Test func producersAreIndependent() {
        var table = tableWithBatches(2)
        let other = batch(50, count: 1, epoch: 9, producer: 7)
        #expect(table.decide(other) == .append)
        table.record(other, baseOffset: 300)
        #expect(table.decide(batch(51, epoch: 9, producer: 7)) == .append)
        #expect(table.decide(batch(6)) == .append)
        #expect(table.decide(batch(3, count: 3)) == .duplicate(baseOffset: 110))
        #expect(table.producers.count == 2)
    }

    /// The table is what a producer snapshot stores; it must survive the round trip whole.
    @Test func snapshotRoundTrip() throws {
        var table = tableWithBatches(6)
        table.record(batch(0, epoch: 4, producer: 9), baseOffset: 900)
        let decoded = try JSONDecoder().decode(ProducerStateTable.self, from: JSONEncoder().encode(table))
        #expect(decoded == table)
        #expect(decoded.decide(batch(15, count: 3)) == .duplicate(baseOffset: 150))
    }
}
