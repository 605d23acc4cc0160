import ChatClient
import Foundation

/// One connected device, with helpers to wait for frames. A background task collects the
/// frames as they arrive and hands each to the first waiter it matches; a frame nobody waits
/// for is kept for later calls.
public final class TestDevice: Sendable {
    public let socket: ChatSocket
    public let user: TestUser
    public let device: String
    private let mailbox = Locked(Mailbox())
    private let pump: Task<Void, Never>
    private let pinger = Locked<Task<Void, Never>?>(nil)

    private struct Waiter {
        var key: Int
        var matches: @Sendable (JSONValue) -> Bool
        var continuation: CheckedContinuation<JSONValue?, Never>
    }

    private struct Mailbox {
        var frames: [JSONValue] = []
        /// In registration order, so the oldest matching waiter gets a frame.
        var waiters: [Waiter] = []
        var nextWaiter = 0
        var closed = false

        /// The waiter a new frame goes to, removed; nil keeps the frame.
        mutating func takeWaiter(for frame: JSONValue) -> Waiter? {
            waiters.firstIndex { $0.matches(frame) }.map { waiters.remove(at: $0) }
        }

        mutating func removeWaiter(_ key: Int) -> Waiter? {
            waiters.firstIndex { $0.key == key }.map { waiters.remove(at: $0) }
        }

        mutating func take(where predicate: (JSONValue) -> Bool) -> JSONValue? {
            frames.firstIndex(where: predicate).map { frames.remove(at: $0) }
        }
    }

    init(socket: ChatSocket, user: TestUser, device: String) {
        self.socket = socket
        self.user = user
        self.device = device
        pump = Task { [mailbox] in
            for await frame in socket.frames {
                let waiter = mailbox.withLock { mailbox in
                    let waiter = mailbox.takeWaiter(for: frame)
                    if waiter == nil { mailbox.frames.append(frame) }
                    return waiter
                }
                waiter?.continuation.resume(returning: frame)
            }
            // Closed: nothing more can match what is waited for.
            let waiting = mailbox.withLock { mailbox in
                mailbox.closed = true
                defer { mailbox.waiters = [] }
                return mailbox.waiters
            }
            for waiter in waiting { waiter.continuation.resume(returning: nil) }
        }
    }

    public func send(_ frame: [String: Any]) async throws { try await socket.send(frame) }

    public func send(id: String, toUser user: String, body: String) async throws {
        try await send(["type": "send", "id": id, "to": ["user": user], "body": body])
    }

    public func send(id: String, toGroup group: String, body: String) async throws {
        try await send(["type": "send", "id": id, "to": ["group": group], "body": body])
    }

    /// Takes the first received frame matching `predicate` (frames before it stay for later
    /// calls), waiting up to `timeout` for one to arrive.
    public func next(
        timeout: Duration = .seconds(15), where predicate: @Sendable @escaping (JSONValue) -> Bool = { _ in true }
    ) async throws -> JSONValue {
        var timer: Task<Void, Never>?
        defer { timer?.cancel() }
        let found: JSONValue? = await withCheckedContinuation { continuation in
            // A frame already here, or the connection's end, answers at once; else wait.
            let key: Int? = mailbox.withLock { mailbox in
                if let frame = mailbox.take(where: predicate) {
                    continuation.resume(returning: frame)
                    return nil
                }
                if mailbox.closed {
                    continuation.resume(returning: nil)
                    return nil
                }
                defer { mailbox.nextWaiter += 1 }
                mailbox.waiters.append(Waiter(key: mailbox.nextWaiter, matches: predicate, continuation: continuation))
                return mailbox.nextWaiter
            }
            guard let key else { return }
            timer = Task { [mailbox] in
                guard (try? await Task.sleep(for: timeout)) != nil else { return }
                mailbox.withLock { $0.removeWaiter(key) }?.continuation.resume(returning: nil)
            }
        }
        if let found { return found }
        let unmatched = mailbox.value.frames
        let types = Dictionary(grouping: unmatched, by: { $0["type"]?.string ?? "?" }).map { "\($0.key)×\($0.value.count)" }
        let notable = unmatched.filter { $0["type"]?.string != "receipt" }.prefix(5)
        throw ChildProcess.Failure(
            description: "\(user.username)/\(device): no matching frame within \(timeout)\(mailbox.value.closed ? " (connection closed)" : ""); unmatched: \(types.sorted()), e.g. \(notable.isEmpty ? Array(unmatched.prefix(3)) : Array(notable))"
        )
    }

    public func next(type: String, timeout: Duration = .seconds(15)) async throws -> JSONValue {
        try await next(timeout: timeout) { $0["type"]?.string == type }
    }

    /// Takes `count` frames of `type`, in arrival order.
    public func collect(_ count: Int, type: String, timeout: Duration = .seconds(60)) async throws -> [JSONValue] {
        var frames: [JSONValue] = []
        let deadline = ContinuousClock.now + timeout
        while frames.count < count {
            let left = deadline - ContinuousClock.now
            guard left > .zero else { throw ChildProcess.Failure(description: "got \(frames.count) of \(count) \(type) frames") }
            frames.append(try await next(type: type, timeout: left))
        }
        return frames
    }

    /// Every frame received by the end of `window` and not taken yet.
    public func drain(for window: Duration) async throws -> [JSONValue] {
        try await Task.sleep(for: window)
        return mailbox.withLock { mailbox in
            defer { mailbox.frames = [] }
            return mailbox.frames
        }
    }

    public func ack(_ dseq: Int64) async throws { try await send(["type": "ack", "up_to": dseq]) }

    /// Pings every `interval` until closed, as a live client does (the `pong`s are dropped).
    public func keepAlive(every interval: Duration = .seconds(1)) {
        pinger.withLock { pinger in
            pinger?.cancel()
            pinger = Task { [self] in
                while !Task.isCancelled {
                    try? await send(["type": "ping"])
                    try? await Task.sleep(for: interval)
                    mailbox.withLock { $0.frames.removeAll { $0["type"]?.string == "pong" } }
                }
            }
        }
    }

    public func close() async {
        pinger.withLock { $0?.cancel() }
        await socket.close()
        await pump.value
    }
}
