import ChatClient
import Foundation

/// `listen`'s loop: prints every frame the device receives, acknowledges each delivery
/// after printing it (so a crash in between shows it again rather than losing it), and
/// reconnects with backoff when the connection drops. The server resends whatever was not
/// acknowledged, so a reconnect loses nothing.
struct Listener {
    var session: ServerSession
    /// Print frames as received (JSON lines) rather than as text for people.
    let json: Bool
    let acknowledge: Bool
    /// Messages after which to stop (nil: listen until stopped).
    let count: Int?

    static let pingInterval = Duration.seconds(20)
    static let firstPause = Duration.milliseconds(500)
    static let longestPause = Duration.seconds(30)
    /// A connection that lasted this long was healthy: the next drop starts the backoff over.
    static let healthy = Duration.seconds(10)
    /// How long `--count` waits for the server to confirm the last acks before exiting.
    static let ackGrace = Duration.seconds(5)

    /// How one connection ended.
    private enum End {
        case done
        case cancelled
        case dropped(String)
        case moved(node: String?)
        case refused(ClientFailure)
    }

    /// Listens until `count` messages arrived or the task is cancelled (SIGINT, SIGTERM).
    /// - Throws: the first connection's failure (a wrong URL should not retry forever), or
    ///   a refusal that connecting again cannot fix (`unauthorized`).
    func run() async throws(ClientFailure) {
        var session = session
        var text = FrameText(session: session)
        var messages = 0
        var pause = Self.firstPause
        var everConnected = false
        var justMoved = false
        while !Task.isCancelled {
            let socket: ChatSocket
            do {
                socket = try await session.openSocket()
            } catch let failure where everConnected && failure.code == "connection_failed" {
                Console.error("listen: \(failure.message); retrying in \(pause)")
                guard await Self.sleep(&pause) else { return }
                continue
            }
            everConnected = true
            let connected = ContinuousClock.now
            Console.error("listen: connected as \(session.profile.username) (device \(session.profile.device))")
            let end = await receive(on: socket, text: &text, messages: &messages)
            await socket.close()
            if ContinuousClock.now - connected >= Self.healthy { pause = Self.firstPause }
            let movedBefore = justMoved
            justMoved = false
            switch end {
            case .done, .cancelled:
                return
            case .refused(let failure):
                throw failure
            case .moved(let node?) where !Credentials.sameServer(node, session.node ?? session.api.url):
                // Gateways that name each other are rebalancing: after the first move, wait.
                if movedBefore {
                    guard await Self.sleep(&pause) else { return }
                }
                Console.error("listen: this user is served by \(node); connecting there")
                try session.move(to: node)
                justMoved = true
            case .moved:
                Console.error("listen: this node does not serve the user yet; retrying in \(pause)")
                guard await Self.sleep(&pause) else { return }
            case .dropped(let reason):
                Console.error("listen: \(reason); reconnecting in \(pause)")
                guard await Self.sleep(&pause) else { return }
            }
        }
    }

    private func receive(on socket: ChatSocket, text: inout FrameText, messages: inout Int) async -> End {
        let heartbeat = Heartbeat()
        let pinger = Task { await heartbeat.keep(socket, every: Self.pingInterval) }
        var finisher: Task<Void, Never>?
        defer {
            pinger.cancel()
            finisher?.cancel()
        }
        for await frame in socket.frames {
            heartbeat.beat()
            if finisher != nil {
                if frame["type"]?.string == "pong" { return .done }
                continue
            }
            switch SessionRefusal(frame) {
            case .moved(let node): return .moved(node: node)
            case .reconnect: return .dropped("the server asked to reconnect")
            case .fatal(let failure): return .refused(failure)
            case nil: break
            }
            if json {
                if frame["type"]?.string != "pong" { Console.line(frame.description) }
            } else {
                switch await text.line(for: frame) {
                case .out(let line): Console.line(line)
                case .error(let line): Console.error(line)
                case nil: break
                }
            }
            if acknowledge, let dseq = frame["dseq"]?.int {
                try? await socket.send(["type": "ack", "up_to": dseq])
            }
            if frame["type"]?.string == "message" {
                messages += 1
                if let count, messages >= count {
                    guard acknowledge else { return .done }
                    // The server handles a connection's frames in order, so its `pong` to this
                    // ping means the acks before it are stored: the next `listen` of this
                    // device starts after what this one printed. A server that does not
                    // answer within the grace period is left as it is.
                    try? await socket.send(["type": "ping"])
                    finisher = Task {
                        try? await Task.sleep(for: Self.ackGrace)
                        if !Task.isCancelled { await socket.close() }
                    }
                }
            }
        }
        if finisher != nil { return .done }
        return Task.isCancelled ? .cancelled : .dropped("the connection closed")
    }

    /// Waits `pause` and doubles it for next time; false if cancelled meanwhile.
    private static func sleep(_ pause: inout Duration) async -> Bool {
        do {
            try await Task.sleep(for: pause)
        } catch {
            return false
        }
        pause = min(pause * 2, longestPause)
        return true
    }
}
