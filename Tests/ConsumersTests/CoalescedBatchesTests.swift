@testable import Consumers
import Foundation
import Kafka
import Projections
import Testing

/// A coalescing reader applies at most once per interval: a batch after a quiet spell at once,
/// batches that follow it closely together with the next one after the interval, and what
/// waits when the log goes quiet.
@Suite struct CoalescedBatchesTests {
    private func batch(_ offsets: [Int64], partition: Int32 = 0) -> [KafkaRecord] {
        offsets.map { offset in
            KafkaRecord(
                topic: "chat.conversations", partition: partition, offset: offset, key: Data("c".utf8), value: Data("{}".utf8),
                headers: [KafkaHeader(EventCoding.typeHeader, "GroupCreated"), KafkaHeader(EventCoding.versionHeader, "1")]
            )
        }
    }

    /// What `add` returned, as offsets to compare.
    private struct Applied: Equatable {
        var offsets: [Int64]
        var next: [Int32: Int64]

        init?(_ applied: ([EventRecord], [Int32: Int64])?) {
            guard let applied else { return nil }
            (offsets, next) = (applied.0.map(\.offset), applied.1)
        }

        init(offsets: [Int64], next: [Int32: Int64]) {
            (self.offsets, self.next) = (offsets, next)
        }
    }

    @Test func batchesWithinTheIntervalWaitAndGoTogether() {
        var waiting = CoalescedBatches(interval: .milliseconds(20))
        let start = ContinuousClock.now
        let first = Applied(waiting.add(batch([0, 1]), now: start))
        let second = Applied(waiting.add(batch([2]), now: start + .milliseconds(5)))
        let third = Applied(waiting.add(batch([5], partition: 1), now: start + .milliseconds(10)))
        let together = Applied(waiting.add(batch([3, 4]), now: start + .milliseconds(21)))
        #expect(first == Applied(offsets: [0, 1], next: [0: 2]))
        #expect(second == nil)
        #expect(third == nil)
        #expect(together == Applied(offsets: [2, 5, 3, 4], next: [0: 5, 1: 6]))
    }

    @Test func aQuietLogFlushesWhatWaits() {
        var waiting = CoalescedBatches(interval: .milliseconds(20))
        let start = ContinuousClock.now
        _ = waiting.add(batch([0]), now: start)
        let held = Applied(waiting.add(batch([1]), now: start + .milliseconds(1)))
        let flushed = Applied(waiting.add([], now: start + .milliseconds(2)))
        // Quiet with nothing waiting: nothing to apply.
        let idle = Applied(waiting.add([], now: start + .milliseconds(3)))
        #expect(held == nil)
        #expect(flushed == Applied(offsets: [1], next: [0: 2]))
        #expect(idle == nil)
    }

    @Test func withoutAnIntervalEveryBatchIsAppliedAsItComes() {
        var waiting = CoalescedBatches(interval: nil)
        let start = ContinuousClock.now
        let first = Applied(waiting.add(batch([0]), now: start))
        let second = Applied(waiting.add(batch([1]), now: start))
        #expect(first == Applied(offsets: [0], next: [0: 1]))
        #expect(second == Applied(offsets: [1], next: [0: 2]))
    }

    @Test func recordsWithoutTheChatsHeadersStillMoveTheOffsets() {
        var waiting = CoalescedBatches(interval: nil)
        let foreign = KafkaRecord(topic: "chat.conversations", partition: 0, offset: 7, key: nil, value: Data("x".utf8))
        let applied = Applied(waiting.add([foreign]))
        #expect(applied == Applied(offsets: [], next: [0: 8]))
    }
}
