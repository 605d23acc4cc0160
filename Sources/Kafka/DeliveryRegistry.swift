import Synchronization

/// Produces waiting for their delivery report, by the id handed to librdkafka as the
/// message's opaque.
///
/// A record is enqueued before anyone awaits it (so records go out in call order), which means
/// its report can arrive on the poll thread before the awaiting continuation (or handler) is
/// attached; each entry is therefore either still pending, already awaited, or already
/// completed.
final class DeliveryRegistry: Sendable {
    typealias Handler = @Sendable (Result<KafkaDeliveryReport, KafkaError>) -> Void

    private enum Entry {
        case pending
        case awaiting(CheckedContinuation<KafkaDeliveryReport, any Error>)
        case handled(Handler)
        case completed(Result<KafkaDeliveryReport, KafkaError>)

        /// Someone waits for the report.
        var isWaiting: Bool {
            switch self {
            case .awaiting, .handled: true
            case .pending, .completed: false
            }
        }
    }

    private struct State {
        var nextId: UInt = 1
        var entries: [UInt: Entry] = [:]
        var closed = false
    }

    private let state = Mutex(State())

    /// A fresh id for a record about to be enqueued.
    func reserve() -> UInt {
        state.withLock { state in
            let id = state.nextId
            state.nextId = state.nextId == .max ? 1 : state.nextId + 1
            state.entries[id] = .pending
            return id
        }
    }

    /// Forgets an id whose record librdkafka refused.
    func release(_ id: UInt) {
        _ = state.withLock { $0.entries.removeValue(forKey: id) }
    }

    /// Waits for the report of `id`.
    func wait(for id: UInt) async throws -> KafkaDeliveryReport {
        try await withCheckedThrowingContinuation { continuation in
            let ready: Result<KafkaDeliveryReport, KafkaError>? = state.withLock { state in
                switch state.entries[id] {
                case .completed(let result):
                    state.entries[id] = nil
                    return result
                case .pending:
                    state.entries[id] = .awaiting(continuation)
                    return nil
                case .awaiting, .handled, nil:
                    return .failure(.closed)
                }
            }
            if let ready { continuation.resume(with: ready.mapError { $0 as any Error }) }
        }
    }

    /// Calls `handler` with the report of `id` when it arrives (at once if it has): on the
    /// producer's poll thread, so the handler must only hand the result on.
    func whenReported(_ id: UInt, _ handler: @escaping Handler) {
        let ready: Result<KafkaDeliveryReport, KafkaError>? = state.withLock { state in
            switch state.entries[id] {
            case .completed(let result):
                state.entries[id] = nil
                return result
            case .pending:
                state.entries[id] = .handled(handler)
                return nil
            case .awaiting, .handled, nil:
                return .failure(.closed)
            }
        }
        if let ready { handler(ready) }
    }

    /// Records the outcome of `id` (from the delivery report callback).
    func complete(_ id: UInt, with result: Result<KafkaDeliveryReport, KafkaError>) {
        let waiter: Entry? = state.withLock { state -> Entry? in
            switch state.entries[id] {
            case .pending:
                state.entries[id] = .completed(result)
                return nil
            case .some(let waiter) where waiter.isWaiting:
                state.entries[id] = nil
                return waiter
            default:
                return nil
            }
        }
        if let waiter { Self.hand(result, to: waiter) }
    }

    /// Fails every record still without a report (the producer is closing).
    func failAll(_ error: KafkaError) {
        let waiting: [Entry] = state.withLock { state in
            var waiting: [Entry] = []
            for (id, entry) in state.entries {
                if entry.isWaiting {
                    waiting.append(entry)
                    state.entries[id] = nil
                } else if case .pending = entry {
                    state.entries[id] = .completed(.failure(error))
                }
            }
            return waiting
        }
        for waiter in waiting { Self.hand(.failure(error), to: waiter) }
    }

    private static func hand(_ result: Result<KafkaDeliveryReport, KafkaError>, to waiter: Entry) {
        switch waiter {
        case .awaiting(let continuation): continuation.resume(with: result.mapError { $0 as any Error })
        case .handled(let handler): handler(result)
        case .pending, .completed: break
        }
    }

    /// Records handed to librdkafka whose report has not arrived.
    var inFlight: Int {
        state.withLock { $0.entries.values.count { if case .completed = $0 { false } else { true } } }
    }
}
