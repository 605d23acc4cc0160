import ChatClient
import Synchronization

/// Keeps a listening connection alive and honest: a `ping` every interval keeps the user
/// online (the server closes sessions silent for its presence timeout), and a connection
/// that hears nothing back for three intervals is closed, since a half-open TCP connection
/// would otherwise wait forever instead of reconnecting.
final class Heartbeat: Sendable {
    private let heard = Mutex(ContinuousClock.now)

    /// Something arrived from the server.
    func beat() { heard.withLock { $0 = .now } }

    /// Pings `socket` every `interval` until cancelled, or closes it once it went silent.
    func keep(_ socket: ChatSocket, every interval: Duration) async {
        while true {
            try? await Task.sleep(for: interval)
            if Task.isCancelled { return }
            if ContinuousClock.now - heard.withLock({ $0 }) > interval * 3 {
                await socket.close()
                return
            }
            try? await socket.send(["type": "ping"])
        }
    }
}
