import Synchronization

/// Produces waiting for their delivery report, by the id handed to librdkafka as the
/// message's opaque.
///
/// A record is enqueued before anyone awaits it (so records go out in call order), which means
/// its report can arrive on the poll thread before the awaiting continuation is attached;
/// each entry is therefore either still pending, already awaited, or already completed.
final class DeliveryRegistry: Sendable {
    private enum Entry {
        case pending
        case awaiting(CheckedContinuation<KafkaDeliveryReport, any Error>)
        case completed(Result<KafkaDeliveryReport, KafkaError>)
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
                case .awaiting, nil:
                    return .failure(.closed)
                }
            }
            if let ready { continuation.resume(with: ready.mapError { $0 as any Error }) }
        }
    }

    /// Records the outcome of `id` (from the delivery report callback).
    func complete(_ id: UInt, with result: Result<KafkaDeliveryReport, KafkaError>) {
        let continuation: CheckedContinuation<KafkaDeliveryReport, any Error>? = state.withLock { state in
            switch state.entries[id] {
            case .awaiting(let continuation):
                state.entries[id] = nil
                return continuation
            case .pending:
                state.entries[id] = .completed(result)
                return nil
            case .completed, nil:
                return nil
            }
        }
        continuation?.resume(with: result.mapError { $0 as any Error })
    }

    /// Fails every record still without a report (the producer is closing).
    func failAll(_ error: KafkaError) {
        let waiting: [CheckedContinuation<KafkaDeliveryReport, any Error>] = state.withLock { state in
            var waiting: [CheckedContinuation<KafkaDeliveryReport, any Error>] = []
            for (id, entry) in state.entries {
                switch entry {
                case .awaiting(let continuation):
                    waiting.append(continuation)
                    state.entries[id] = nil
                case .pending:
                    state.entries[id] = .completed(.failure(error))
                case .completed:
                    break
                }
            }
            return waiting
        }
        for continuation in waiting { continuation.resume(throwing: error) }
    }

    /// Records handed to librdkafka whose report has not arrived.
    var inFlight: Int {
        state.withLock { $0.entries.values.count { if case .completed = $0 { false } else { true } } }
    }
}
