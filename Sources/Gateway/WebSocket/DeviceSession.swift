import Foundation
import Kafka
import Logging
import Projections

/// One WebSocket connection: one device of one user.
///
/// Deliveries reach it two ways: the catch-up read from the delivery queue when it connects,
/// and live pushes as new records are stored. It registers for pushes before reading the
/// catch-up, buffers pushes until the catch-up is out, and never writes a dseq at or below
/// the last one it wrote, so the hand-over has neither a gap nor a duplicate.
actor DeviceSession {
    nonisolated let user: String
    nonisolated let device: String
    nonisolated let id = UUID()

    /// What the session's background task does, in order, while the session goes on reading
    /// frames: confirming appends handed to Kafka (a failed one is reported with its `ref`),
    /// and recording the device's acks and reads. While one of those is being recorded, acks
    /// that arrive collapse into the highest, so a device acking every message costs one
    /// cursor write per round trip, not one per message.
    enum Work: Sendable {
        case confirm(ref: String, PendingDelivery)
        case recordMarkers
    }

    nonisolated let work: AsyncStream<Work>
    private nonisolated let workQueue: AsyncStream<Work>.Continuation
    private var unrecordedAck: Int64?
    private var unrecordedReads: [(conv: String, upTo: Int64)] = []
    private var markersQueued = false

    /// Frames waiting to be written by the connection's writer task.
    private let frames: AsyncStream<String>.Continuation
    nonisolated let outgoing: AsyncStream<String>
    private var queued = 0
    private var lastSent: Int64 = -1
    private var catchingUp = true
    private var buffered: [StoredDelivery] = []
    private var closed = false
    /// When the client last sent anything; a session silent for the presence timeout is
    /// closed, so a dead connection does not keep its user online.
    private(set) var lastActivity = ContinuousClock.now
    private let logger: Logger

    /// How many frames may wait for a slow client before the session is closed; the device
    /// then resumes from its cursor when it reconnects.
    static let maxQueued = 10_000

    init(user: String, device: String, logger: Logger) {
        self.user = user
        self.device = device
        self.logger = logger
        (outgoing, frames) = AsyncStream.makeStream(of: String.self)
        (work, workQueue) = AsyncStream.makeStream(of: Work.self)
    }

    nonisolated func confirmLater(ref: String, _ delivery: PendingDelivery) {
        workQueue.yield(.confirm(ref: ref, delivery))
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
        guard !markersQueued else { return }
        markersQueued = true
        workQueue.yield(.recordMarkers)
    }

    /// What is not recorded yet, to be recorded ack first: an ack sent before a read must not
    /// land after it, and an ack sent after a read landing first is harmless (reading implies
    /// delivered).
    func takeMarkers() -> (ack: Int64?, reads: [(conv: String, upTo: Int64)]) {
        defer { (unrecordedAck, unrecordedReads, markersQueued) = (nil, [], false) }
        return (unrecordedAck, unrecordedReads)
    }

    /// Writes what the device is owed since `cursor`, then whatever was pushed meanwhile.
    func start(cursor: Int64, pending: [StoredDelivery]) {
        lastSent = cursor
        write(pending)
        catchingUp = false
        let waiting = buffered
        buffered = []
        write(waiting)
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
        queued += 1
        if queued > Self.maxQueued {
            logger.warning("closing a session that does not keep up", metadata: ["user": "\(user)", "device": "\(device)"])
            close()
            return
        }
        frames.yield(text)
    }

    /// The client sent a frame.
    func touch() { lastActivity = .now }

    /// Called by the writer after each frame went out.
    func written() { queued -= 1 }

    /// Ends the session: the writer finishes and the connection closes.
    func close(with frame: ServerFrame? = nil) {
        guard !closed else { return }
        if let frame { frames.yield(frame.json()) }
        closed = true
        frames.finish()
        workQueue.finish()
    }
}
