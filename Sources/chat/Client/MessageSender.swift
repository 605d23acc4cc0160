import ChatClient
import Foundation

/// One `send` frame, carried until the server answers it. When the connection drops first,
/// or the log was briefly unavailable, it connects again and sends the same frame: the
/// client id makes the repeat store nothing twice and answer the same `sent`. A
/// `wrong_node` refusal is followed to the node it names.
struct MessageSender {
    let frame: [String: Any]
    let deadline: ContinuousClock.Instant

    /// How one connection's wait for the answer ended.
    enum Outcome: Sendable {
        case sent(JSONValue)
        case failed(ClientFailure)
        case retry(String)
        case moved(node: String?)
        case timedOut
    }

    /// Nodes followed before giving up: gateways that keep naming each other are rebalancing.
    static let maxMoves = 3

    /// Returns the `sent` frame, or throws the server's `error`.
    func send(_ session: inout ServerSession) async throws(ClientFailure) -> JSONValue {
        let id = frame["id"] as? String ?? ""
        var pause = Duration.milliseconds(200)
        var moves = 0
        var lastProblem = "the server did not answer"
        while true {
            // A server that cannot be reached at all fails at once rather than at the deadline.
            let socket = try await session.openSocket()
            try? await socket.send(frame)
            let outcome = await Self.answer(to: id, on: socket, until: deadline)
            await socket.close()
            switch outcome {
            case .sent(let sent):
                return sent
            case .failed(let failure):
                throw failure
            case .moved(let node?) where moves < Self.maxMoves:
                moves += 1
                try session.move(to: node)
                continue
            case .moved:
                throw ClientFailure("wrong_node", "the server does not serve this user and named no node that does")
            case .retry(let problem):
                lastProblem = problem
            case .timedOut:
                break
            }
            guard ContinuousClock.now + pause < deadline else {
                throw ClientFailure("timeout", "\(lastProblem); gave up waiting for `sent`")
            }
            try? await Task.sleep(for: pause)
            pause = min(pause * 2, .seconds(5))
        }
    }

    /// Reads frames until one answers the `send` with client id `id`, the connection ends,
    /// or `deadline` passes. Other frames (the device's catch-up) are left for `listen`.
    private static func answer(to id: String, on socket: ChatSocket, until deadline: ContinuousClock.Instant) async -> Outcome {
        await withTaskGroup(of: Outcome.self) { group in
            group.addTask {
                for await frame in socket.frames {
                    if let outcome = outcome(of: frame, answering: id) { return outcome }
                }
                return .retry("the connection closed before the server answered")
            }
            group.addTask {
                try? await Task.sleep(until: deadline)
                return .timedOut
            }
            let first = await group.next() ?? .timedOut
            group.cancelAll()
            return first
        }
    }

    static func outcome(of frame: JSONValue, answering id: String) -> Outcome? {
        switch frame["type"]?.string {
        case "sent" where frame["ref"]?.string == id:
            return .sent(frame)
        case "error" where frame["ref"]?.string == id:
            // The protocol's advice for `unavailable`: send it again with the same id.
            if frame["code"]?.string == "unavailable" { return .retry(frame["message"]?.string ?? "the log was unavailable") }
            return .failed(ClientFailure(frame: frame))
        case "error":
            switch SessionRefusal(frame) {
            case .moved(let node): return .moved(node: node)
            case .reconnect: return .retry(frame["message"]?.string ?? "the server asked to reconnect")
            case .fatal(let failure): return .failed(failure)
            case nil: return nil
            }
        default:
            return nil
        }
    }
}
