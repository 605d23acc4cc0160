import Synchronization

/// Lets blocking librdkafka calls run on several threads while making sure the handle is
/// destroyed only after the last of them returned, and that none starts afterwards.
final class ClientLifetime: Sendable {
    private struct State {
        var active = 0
        var closed = false
    }

    private let state = Mutex(State())

    var isClosed: Bool { state.withLock { $0.closed } }

    /// Runs `body` unless the client is closed, in which case it throws ``KafkaError/closed``.
    func use<T>(_ body: () throws -> T) throws -> T {
        try state.withLock { state in
            guard !state.closed else { throw KafkaError.closed }
            state.active += 1
        }
        defer { state.withLock { $0.active -= 1 } }
        return try body()
    }

    /// Refuses new calls, then waits (blocking) for running ones to return.
    func close() {
        state.withLock { $0.closed = true }
        while state.withLock({ $0.active }) > 0 {
            usleep(1000)
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif
