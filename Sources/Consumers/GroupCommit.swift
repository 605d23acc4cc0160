import Synchronization

/// Commits items in groups: whatever is submitted while a commit runs waits for it and then
/// goes into the next commit, together. Under load many callers share one commit (one
/// transaction, one round of appends); alone, a caller commits at once.
///
/// No task is spawned: the first caller of each group runs its commit, then hands the turn to
/// the first caller still waiting, who commits everything queued by then.
final class GroupCommit<Item: Sendable>: Sendable {
    private enum Turn {
        case committed
        case lead
    }

    private struct Waiter {
        var item: Item
        var continuation: CheckedContinuation<Turn, any Error>
    }

    private struct State {
        var waiting: [Waiter] = []
        var committing = false
    }

    private let state = Mutex(State())

    /// Callers waiting for a commit (for tests).
    var waitingCount: Int { state.withLock { $0.waiting.count } }

    /// Returns once `item` is committed; throws what its group's commit threw. Every caller
    /// passes the same `commit`: whose runs is a matter of timing.
    func submit(_ item: Item, commit: ([Item]) async throws -> Void) async throws {
        let turn = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Turn, any Error>) in
            let lead = state.withLock { state in
                if state.committing {
                    state.waiting.append(Waiter(item: item, continuation: continuation))
                    return false
                }
                state.committing = true
                return true
            }
            if lead { continuation.resume(returning: .lead) }
        }
        if case .committed = turn { return }
        let others = state.withLock { state in
            defer { state.waiting = [] }
            return state.waiting
        }
        var failure: (any Error)?
        do {
            try await commit([item] + others.map(\.item))
        } catch {
            failure = error
        }
        for waiter in others {
            if let failure {
                waiter.continuation.resume(throwing: failure)
            } else {
                waiter.continuation.resume(returning: .committed)
            }
        }
        let next = state.withLock { state -> Waiter? in
            guard !state.waiting.isEmpty else {
                state.committing = false
                return nil
            }
            return state.waiting.removeFirst()
        }
        next?.continuation.resume(returning: .lead)
        if let failure { throw failure }
    }
}
