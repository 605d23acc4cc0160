import Synchronization

/// Produces waiting for their delivery report, by the id handed to librdkafka as the
/// message's opaque.
///
/// A record is enqueued before anyone waits for it (so records go out in call order), which
/// means its report can arrive on the poll thread before the handler is attached; each entry
/// is therefore either still pending, already handled, or already completed. Awaiting a
/// report is a handler that resumes the waiting task.
final class DeliveryRegistry: Sendable {
    typealias Handler = @Sendable (Result<KafkaDeliveryReport, KafkaError>) -> Void

    private enum Entry {
        case pending
        case handled(Handler)
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
            whenReported(id) { continuation.resume(with: $0.mapError { $0 as any Error }) }
        }
    }

    /// Calls `handler` with the report of `id` when it arrives (at once if it has): on the
    /// producer's poll thread, so the handler must only hand the result on. An id already
    /// handled, or unknown, fails with `closed`.
    func whenReported(_ id: UInt, _ handler: @escaping Handler) {
        let ready: Result<KafkaDeliveryReport, KafkaError>? = state.withLock { state in
            switch state.entries[id] {
            case .completed(let result):
                state.entries[id] = nil
                return result
            case .pending:
                state.entries[id] = .handled(handler)
                return nil
            case .handled, nil:
                return .failure(.closed)
            }
        }
        if let ready { handler(ready) }
    }

    /// Records the outcome of `id` (from the delivery report callback).
    func complete(_ id: UInt, with result: Result<KafkaDeliveryReport, KafkaError>) {
        let handler: Handler? = state.withLock { state in
            switch state.entries[id] {
            case .pending:
                state.entries[id] = .completed(result)
                return nil
            case .handled(let handler):
                state.entries[id] = nil
                return handler
            case .completed, nil:
                return nil
            }
        }
        handler?(result)
    }

    /// Fails every record still without a report (the producer is closing).
    func failAll(_ error: KafkaError) {
        let handlers: [Handler] = state.withLock { state in
            var handlers: [Handler] = []
            for (id, entry) in state.entries {
                switch entry {
                case .handled(let handler):
                    handlers.append(handler)
                    state.entries[id] = nil
                case .pending:
                    state.entries[id] = .completed(.failure(error))
                case .completed:
                    break
                }
            }
            return handlers
        }
        for handler in handlers { handler(.failure(error)) }
    }

    /// Records handed to librdkafka whose report has not arrived.
    var inFlight: Int {
        state.withLock { $0.entries.values.count { if case .completed = $0 { false } else { true } } }
    }
}
