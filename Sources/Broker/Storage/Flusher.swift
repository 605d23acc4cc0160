import Foundation
import Synchronization

/// Makes appended data durable off the request path, with group commit: partitions ask to be
/// flushed after writing, and one fsync covers every append that happened before it started,
/// so concurrent producers share fsyncs instead of paying one each. Under a periodic
/// ``FlushPolicy`` the threads wake once per interval instead and flush every partition
/// written since.
///
/// fsync blocks for milliseconds, so it runs on dedicated threads, never on the event loops or
/// the Swift concurrency pool.
final class Flusher: Sendable {
    private struct Queue {
        var pending: [PartitionLog] = []
        var stopped = false
    }

    private let queue = Mutex(Queue())
    private let wakeup = DispatchSemaphore(value: 0)
    private let threadCount: Int
    /// How often a periodic flusher wakes; nil when it flushes before acknowledging.
    private let period: DispatchTimeInterval?
    private let finished = DispatchGroup()

    /// True when appends are acknowledged and readable before they are fsynced.
    var acknowledgesBeforeSync: Bool { period != nil }

    init(threads: Int = 2, policy: FlushPolicy = .beforeAcknowledging) {
        self.threadCount = threads
        switch policy {
        case .beforeAcknowledging:
            period = nil
        case .periodically(let interval):
            let (seconds, attoseconds) = interval.components
            period = .nanoseconds(max(1, Int(seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000)))
        }
    }

    func start() {
        for index in 0..<threadCount {
            finished.enter()
            let thread = Thread { [self] in
                // Named from inside: Foundation passes a name set before `start` on to no OS
                // thread, and `top -H` and profiles showed the creating thread's name instead.
                Thread.current.name = "flusher-\(index)"
                run()
                finished.leave()
            }
            thread.start()
        }
    }

    /// Queues `partition` for a flush; the partition makes sure it is queued at most once.
    func schedule(_ partition: PartitionLog) {
        queue.withLock { $0.pending.append(partition) }
        // A periodic flusher is not woken per append: that wake-up is what it saves.
        if period == nil { wakeup.signal() }
    }

    /// Flushes what is queued, then stops the threads.
    func stop() {
        queue.withLock { $0.stopped = true }
        for _ in 0..<threadCount { wakeup.signal() }
        finished.wait()
    }

    private func run() {
        while true {
            if let period { _ = wakeup.wait(timeout: .now() + period) } else { wakeup.wait() }
            // Per append every schedule signalled once, so one partition per wake-up;
            // periodically, all that is queued.
            repeat {
                let (next, stopped): (PartitionLog?, Bool) = queue.withLock { queue in
                    (queue.pending.isEmpty ? nil : queue.pending.removeFirst(), queue.stopped)
                }
                guard let next else {
                    if stopped { return }
                    break
                }
                next.flush()
            } while period != nil
        }
    }
}
