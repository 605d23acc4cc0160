import Foundation
import Synchronization

/// What the test process must clean up when it exits: servers shared by a whole suite live in
/// statics, which are never released, so their children would outlive the run and their data
/// directories would stay behind in the temporary directory.
enum ExitCleanup {
    private static let state: Mutex<State> = {
        atexit { ExitCleanup.run() }
        return Mutex(State())
    }()

    private struct State {
        var children: [Process] = []
        var directories: Set<String> = []
    }

    static func adopt(_ child: Process) {
        state.withLock { $0.children.append(child) }
    }

    static func adopt(directory path: String) {
        state.withLock { _ = $0.directories.insert(path) }
    }

    static func forget(directory path: String) {
        state.withLock { _ = $0.directories.remove(path) }
    }

    /// Kills the children still running and waits (briefly) for them, so that none writes
    /// into a directory while it is removed; then removes the directories.
    private static func run() {
        let (children, directories) = state.withLock { ($0.children, $0.directories) }
        let running = children.filter(\.isRunning)
        for child in running { kill(child.processIdentifier, SIGKILL) }
        let deadline = Date().addingTimeInterval(5)
        while running.contains(where: \.isRunning), Date() < deadline { usleep(10_000) }
        for path in directories { try? FileManager.default.removeItem(atPath: path) }
    }
}
