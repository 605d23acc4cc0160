import Synchronization

/// A signal that fires once and runs what waits on it; firing again does nothing.
///
/// Long-polling fetches register one with every partition they read, and the first append
/// to any of them (or the fetch's own timer) fires it.
final class OneShotSignal: Sendable {
    private enum State {
        case idle
        case waiting(@Sendable () -> Void)
        case fired
    }

    private let state = Mutex(State.idle)

    var hasFired: Bool {
        state.withLock { if case .fired = $0 { true } else { false } }
    }

    func fire() {
        let action: (@Sendable () -> Void)? = state.withLock { state in
            defer { state = .fired }
            if case .waiting(let action) = state { return action }
            return nil
        }
        action?()
    }

    /// Runs `action` when the signal fires, on the thread that fires it, or now if it has
    /// fired already. One action per signal.
    func onFire(_ action: @escaping @Sendable () -> Void) {
        let runNow = state.withLock { state in
            if case .fired = state { return true }
            state = .waiting(action)
            return false
        }
        if runNow { action() }
    }
}
