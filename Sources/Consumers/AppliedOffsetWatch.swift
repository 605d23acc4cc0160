import Synchronization

/// How far a reader has applied each partition, with a way to wait for a given offset: a
/// writer that appended an event at offset N waits until its own read model applied N before
/// answering from that model.
public final class AppliedOffsetWatch: Sendable {
    private struct Waiter {
        var id: UInt64
        var offset: Int64
        var continuation: CheckedContinuation<Bool, Never>
    }

    private struct State {
        var next: [Int32: Int64] = [:]
        var waiters: [Int32: [Waiter]] = [:]
        var lastId: UInt64 = 0
    }

    private let state = Mutex(State())

    public init() {}

    /// Records that everything below `next` in `partition` is applied.
    public func advance(_ partition: Int32, to next: Int64) {
        let ready: [Waiter] = state.withLock { state in
            state.next[partition] = max(state.next[partition] ?? 0, next)
            let waiting = state.waiters[partition] ?? []
            state.waiters[partition] = waiting.filter { $0.offset >= next }
            return waiting.filter { $0.offset < next }
        }
        for waiter in ready { waiter.continuation.resume(returning: true) }
    }

    /// Waits until `offset` of `partition` is applied; false if `timeout` passed first.
    public func wait(for offset: Int64, in partition: Int32, timeout: Duration = .seconds(10)) async -> Bool {
        let id = state.withLock { state in
            state.lastId += 1
            return state.lastId
        }
        return await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                await withCheckedContinuation { continuation in
                    let done = self.state.withLock { state in
                        if (state.next[partition] ?? 0) > offset { return true }
                        state.waiters[partition, default: []].append(Waiter(id: id, offset: offset, continuation: continuation))
                        return false
                    }
                    if done { continuation.resume(returning: true) }
                }
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return false
            }
            let first = await group.next() ?? false
            if !first { self.cancelWaiter(id, in: partition) }
            group.cancelAll()
            return first
        }
    }

    /// Wakes (with false) the waiters a timeout gave up on, so the waiting task can end.
    private func cancelWaiter(_ id: UInt64, in partition: Int32) {
        let cancelled: [Waiter] = state.withLock { state in
            let waiting = state.waiters[partition] ?? []
            state.waiters[partition] = waiting.filter { $0.id != id }
            return waiting.filter { $0.id == id }
        }
        for waiter in cancelled { waiter.continuation.resume(returning: false) }
    }
}
