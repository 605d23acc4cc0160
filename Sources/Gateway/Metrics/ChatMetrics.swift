import CoreMetrics
import Foundation
import Projections

/// The gateway's instruments, through swift-metrics; the process decides where they go
/// (`chat serve` and `chat gateway` export them at `/metrics`).
enum ChatMetrics {
    private static let connections = Gauge(label: "chat_connections")
    private static let messagesIn = Counter(label: "chat_messages_in_total")
    private static let messagesOut = Counter(label: "chat_messages_out_total")
    /// From the message's timestamp (taken when the gateway appended it) to its write to a
    /// connected recipient; backlog deliveries to returning devices are not counted.
    private static let deliveryLatency = Timer(label: "chat_delivery_latency_seconds")

    /// Creates the instruments, so that a scrape shows them at zero before any traffic.
    static func prepare() {
        _ = (messagesIn, messagesOut, deliveryLatency)
        connections.record(0)
    }

    static func connected(_ count: Int) { connections.record(count) }

    static func received() { messagesIn.increment() }

    static func delivered(sentAt ts: Int64) {
        messagesOut.increment()
        let elapsed = EventTime.now() - ts
        deliveryLatency.recordMilliseconds(max(0, elapsed))
    }
}
