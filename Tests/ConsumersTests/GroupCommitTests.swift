@testable import Consumers
import Synchronization
import Testing

/// Group commit: callers that arrive while a commit runs are committed together in the next
/// one, each item exactly once, and a failed commit fails exactly the callers of its group.
struct GroupCommitTests {
    /// Records each commit's items and holds the first commit open until released, so that the
    /// test controls who arrives while it runs.
    final class Recorder: Sendable {
        let commits = Mutex<[[Int]]>([])
        let firstStarted = AsyncGate()
        let releaseFirst = AsyncGate()
        let failing: Set<Int>

        init(failing: Set<Int> = []) { self.failing = failing }

        func commit(_ items: [Int]) async throws {
            let isFirst = commits.withLock { commits in
                commits.append(items)
                return commits.count == 1
            }
            if isFirst {
                firstStarted.open()
                await releaseFirst.wait()
            }
            if !failing.isDisjoint(with: items) { throw Failure() }
        }
    }

    struct Failure: Error {}

    @Test func aLoneCallerCommitsAtOnce() async throws {
        let group = GroupCommit<Int>()
        let recorder = Recorder()
        recorder.releaseFirst.open()
        try await group.submit(1, commit: recorder.commit)
        try await group.submit(2, commit: recorder.commit)
        #expect(recorder.commits.withLock { $0 } == [[1], [2]])
    }

    @Test func callersArrivingDuringACommitShareTheNextOne() async throws {
        let group = GroupCommit<Int>()
        let recorder = Recorder()
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.submit(0, commit: recorder.commit) }
            await recorder.firstStarted.wait()
            for item in 1...50 {
                tasks.addTask { try await group.submit(item, commit: recorder.commit) }
            }
            // All 50 are queued behind the open commit before it is let go.
            while group.waitingCount < 50 { await Task.yield() }
            recorder.releaseFirst.open()
            try await tasks.waitForAll()
        }
        let commits = recorder.commits.withLock { $0 }
        #expect(commits.count == 2)
        #expect(commits.first == [0])
        #expect(commits.last?.sorted() == Array(1...50))
    }

    @Test func everyItemIsCommittedOnceUnderContention() async throws {
        let group = GroupCommit<Int>()
        let recorder = Recorder()
        recorder.releaseFirst.open()
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            for item in 0..<1_000 {
                tasks.addTask { try await group.submit(item, commit: recorder.commit) }
            }
            try await tasks.waitForAll()
        }
        let committed = recorder.commits.withLock { $0 }.flatMap { $0 }
        #expect(committed.sorted() == Array(0..<1_000))
        #expect(group.waitingCount == 0)
    }

    @Test func aFailedCommitFailsItsGroupOnly() async throws {
        let group = GroupCommit<Int>()
        let recorder = Recorder(failing: [7])
        let outcomes = try await withThrowingTaskGroup(of: (Int, Bool).self) { tasks in
            tasks.addTask { try await group.submit(0, commit: recorder.commit); return (0, true) }
            await recorder.firstStarted.wait()
            for item in [5, 6, 7] {
                tasks.addTask {
                    do {
                        try await group.submit(item, commit: recorder.commit)
                        return (item, true)
                    } catch is Failure {
                        return (item, false)
                    }
                }
            }
            while group.waitingCount < 3 { await Task.yield() }
            recorder.releaseFirst.open()
            var outcomes: [Int: Bool] = [:]
            for try await (item, succeeded) in tasks { outcomes[item] = succeeded }
            return outcomes
        }
        #expect(outcomes == [0: true, 5: false, 6: false, 7: false])
        // The group is usable after a failure.
        try await group.submit(8, commit: recorder.commit)
        #expect(recorder.commits.withLock { $0 }.last == [8])
    }
}

/// A one-way gate: `wait` returns once `open` was called, before or after.
final class AsyncGate: Sendable {
    private let state = Mutex<(open: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    func open() {
        let waiters = state.withLock { state in
            defer { state = (true, []) }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    func wait() async {
        await withCheckedContinuation { continuation in
            let isOpen = state.withLock { state in
                if !state.open { state.waiters.append(continuation) }
                return state.open
            }
            if isOpen { continuation.resume() }
        }
    }
}
