import Foundation
import Kafka
import Logging
import Projections
import Synchronization

/// One WebSocket connection: one device of one user.
///
/// Deliveries reach it two ways: the catch-up read from the delivery queue when it connects,
/// page by page, and live pushes as new records are stored. It registers for pushes before
/// reading the catch-up, buffers pushes until the catch-up is out, and never writes a dseq at
/// or below the last one it wrote, so the hand-over has neither a gap nor a duplicate.
actor DeviceSession {
    nonisolated let user: String
    nonisolated let device: String
    nonisolated let id = UUID()

    /// Records the device's acks and reads (the gateway's part). One recording runs at a time;
    /// acks that arrive meanwhile collapse into the highest, so a device acking every message
    /// costs one cursor write per round trip, not one per message.
    private let recordMarkers: @Sendable (DeviceSession) async -> Void
    private var unrecordedAck: Int64?
    private var unrecordedReads: [(conv: String, upTo: Int64)] = []
    private var recording = false

    /// Frames waiting to be written by the connection's writer task.
    private let frames: AsyncStream<String>.Continuation
    nonisolated let outgoing: AsyncStream<String>
    /// Frames queued and not written yet; counted outside the actor so the writer needs no
    /// hop to the actor per frame.
    private nonisolated let queued = Atomic(0)
    private var lastSent: Int64 = -1
    private var catchingUp = true
    private var buffered: [StoredDelivery] = []
    private var closed = false
    /// When the client last sent anything (uptime nanoseconds); a session silent for the
    /// presence timeout is closed, so a dead connection does not keep its user online. Kept
    /// outside the actor, so that noting a frame's arrival costs no hop to it.
    private nonisolated let lastActivity = Atomic<UInt64>(DispatchTime.now().uptimeNanoseconds)
    private let logger: Logger

    /// How many frames may wait for a slow client before the session is closed; the device
    /// then resumes from its cursor when it reconnects.
    private nonisolated let maxQueued: Int
    private nonisolated let connection: Connection

    /// The connection under the session.
    struct Connection: Sendable {
        /// Whether it takes more bytes now: false once its client stops reading.
        var clientReads: @Sendable () -> Bool
        /// Closes it at once, whatever is still being written.
        var close: @Sendable () -> Void
    }

    init(
        user: String, device: String, maxQueued: Int, connection: Connection, logger: Logger,
        recordMarkers: @escaping @Sendable (DeviceSession) async -> Void
    ) {
        self.user = user
        self.device = device
        self.maxQueued = maxQueued
        self.connection = connection
        self.logger = logger
        self.recordMarkers = recordMarkers
        (outgoing, frames) = AsyncStream.makeStream(of: String.self)
    }

    /// Tells the device, with its `ref`, if an append handed to Kafka fails; a success needs
    /// no word here (`sent` comes from the processor).
    nonisolated func confirmLater(ref: String, _ delivery: PendingDelivery) {
        delivery.whenReported { [self] result in
            guard case .failure = result else { return }
            Task {
                await send(.error(
                    code: "unavailable", message: "the message could not be stored; send it again with the same id", ref: ref
                ))
            }
        }
    }

    /// The device has every delivery up to `upTo` (clamped to what was written to it).
    func acknowledged(upTo: Int64) {
        let upTo = min(upTo, lastSent)
        guard upTo >= 0, upTo > unrecordedAck ?? -1 else { return }
        unrecordedAck = upTo
        queueMarkers()
    }

    /// The user read `conv` up to `upTo`.
    func read(conv: String, upTo: Int64) {
        unrecordedReads.append((conv, upTo))
        queueMarkers()
    }

    private func queueMarkers() {
        guard !recording else { return }
        recording = true
        Task.detached { [recordMarkers, self] in await recordMarkers(self) }
    }

    /// What is not recorded yet, to be recorded ack first: an ack sent before a read must not
    /// land after it, and an ack sent after a read landing first is harmless (reading implies
    /// delivered). Nil when everything is recorded, which ends the recording.
    func takeMarkers() -> (ack: Int64?, reads: [(conv: String, upTo: Int64)])? {
        guard unrecordedAck != nil || !unrecordedReads.isEmpty else {
            recording = false
            return nil
        }
        defer { (unrecordedAck, unrecordedReads) = (nil, []) }
        return (unrecordedAck, unrecordedReads)
    }

    /// Deliveries read from the delivery queue per step of a catch-up: a page written on top
    /// of a half-full queue leaves a quarter of it for frames that are not deliveries.
    private var catchUpPage: Int { min(500, maxQueued / 4) }

    /// Writes what the device is owed since `cursor`, a page at a time, then whatever was
    /// pushed meanwhile. A device that was away for long may be owed more than a session can
    /// hold: the next page is read only once the writer has taken the queue down to half of
    /// `maxQueued`. The catch-up ends at the first empty page (not the first short one: a row
    /// that no longer decodes must not end it early), so nothing between the pages and the
    /// live pushes is skipped.
    func catchUp(from cursor: Int64, reading page: @Sendable (_ after: Int64, _ limit: Int) async throws -> [StoredDelivery]) async throws {
        lastSent = cursor
        while !closed {
            try await roomForPage()
            let deliveries = try await page(lastSent, catchUpPage)
            if deliveries.isEmpty { break }
            write(deliveries)
            // Pushes that arrived during the read and were in the page are written: dropped
            // now, not held to the end of a long catch-up.
            buffered.removeAll { $0.dseq <= lastSent }
        }
        // No suspension since the last read: a delivery stored after it is pushed after it,
        // so it is either in `buffered` now or comes live from here on.
        catchingUp = false
        let waiting = buffered
        buffered = []
        write(waiting)
    }

    /// Waits while the queue is more than half full. Only a device far behind waits here, so
    /// a short sleep is simpler than a signal from the writer.
    private func roomForPage() async throws {
        while !closed, queued.load(ordering: .relaxed) > maxQueued / 2 {
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    /// New deliveries for this session's user.
    func push(_ deliveries: [StoredDelivery]) {
        if catchingUp {
            buffered += deliveries
        } else {
            write(deliveries, live: true)
        }
    }

    private func write(_ deliveries: [StoredDelivery], live: Bool = false) {
        for delivery in deliveries where delivery.dseq > lastSent {
            lastSent = delivery.dseq
            guard let frame = ServerFrame.rendering(delivery, for: device) else { continue }
            send(frame)
            if live, frame.type == "message", case .message(let message) = delivery.event { ChatMetrics.delivered(sentAt: message.ts) }
        }
    }

    /// Writes a frame that is not a delivery (pong, errors, typing, presence).
    func send(_ frame: ServerFrame) {
        send(text: frame.json())
    }

    /// Writes a frame already encoded (one frame pushed to many sessions is encoded once).
    func send(text: String) {
        guard !closed else { return }
        // A burst (a fan-out, a catch-up page) can outrun the writer while the client reads
        // all it is sent: past the bound such a session gets four times as much room, and a
        // session whose client does not read is closed.
        let waiting = queued.add(1, ordering: .relaxed).newValue
        if waiting > maxQueued, waiting > 4 * maxQueued || !connection.clientReads() {
            logger.warning("closing a session that does not keep up", metadata: ["user": "\(user)", "device": "\(device)"])
            close()
            // Not by the writer: it waits for a client that reads nothing, and would wait for
            // ever, with the connection and its buffers held.
            connection.close()
            return
        }
        frames.yield(text)
    }

    /// The client sent a frame.
    nonisolated func touch() { lastActivity.store(DispatchTime.now().uptimeNanoseconds, ordering: .relaxed) }

    /// How long the client has been silent.
    nonisolated var silence: Duration {
        .nanoseconds(Int64(DispatchTime.now().uptimeNanoseconds &- lastActivity.load(ordering: .relaxed)))
    }

    /// Called by the writer after each frame went out.
    nonisolated func written() { queued.subtract(1, ordering: .relaxed) }

    /// Ends the session: the writer finishes and the connection closes.
    func close(with frame: ServerFrame? = nil) {
        guard !closed else { return }
        if let frame { frames.yield(frame.json()) }
        closed = true
        frames.finish()
    }
}
