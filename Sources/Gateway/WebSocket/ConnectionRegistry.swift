import Consumers
import Foundation
import Producers
import Projections

/// The devices connected to this node, by user. New deliveries are pushed to the sessions of
/// their user; when the node stops serving a partition, that partition's users are told to
/// reconnect (to whichever node serves them now).
///
/// It also decides presence: all of a user's devices are on the node that serves the user, so
/// a user is online exactly while this registry holds one of its sessions. Changes are
/// published at most once per throttle window per user; a connection that flaps within the
/// window publishes only where it ends up.
actor ConnectionRegistry: DeliverySink {
    private var sessions: [String: [UUID: DeviceSession]] = [:]
    private(set) var connectionCount = 0
    private let catalog: TopicCatalog
    private let publishPresence: @Sendable (String, Bool) async -> Void
    private let throttle: Duration
    private var published: [String: (online: Bool, at: ContinuousClock.Instant)] = [:]
    private var flushScheduled: Set<String> = []

    init(catalog: TopicCatalog, throttle: Duration, publishPresence: @Sendable @escaping (String, Bool) async -> Void) {
        self.catalog = catalog
        self.throttle = throttle
        self.publishPresence = publishPresence
    }

    func add(_ session: DeviceSession) {
        if sessions[session.user, default: [:]].updateValue(session, forKey: session.id) == nil { connectionCount += 1 }
        ChatMetrics.connected(connectionCount)
        presenceMayHaveChanged(session.user)
    }

    func remove(_ session: DeviceSession) {
        if sessions[session.user]?.removeValue(forKey: session.id) != nil { connectionCount -= 1 }
        if sessions[session.user]?.isEmpty == true { sessions[session.user] = nil }
        ChatMetrics.connected(connectionCount)
        presenceMayHaveChanged(session.user)
    }

    func sessions(of user: String) -> [DeviceSession] {
        Array(sessions[user]?.values ?? [:].values)
    }

    // MARK: - Presence

    private func presenceMayHaveChanged(_ user: String) {
        let online = sessions[user] != nil
        guard published[user]?.online != online else { return }
        if let last = published[user], ContinuousClock.now - last.at < throttle {
            guard flushScheduled.insert(user).inserted else { return }
            let wait = throttle - (ContinuousClock.now - last.at)
            Task {
                try? await Task.sleep(for: wait)
                self.flushPresence(user)
            }
            return
        }
        publish(user, online: online)
    }

    private func flushPresence(_ user: String) {
        flushScheduled.remove(user)
        let online = sessions[user] != nil
        if published[user]?.online != online { publish(user, online: online) }
    }

    private func publish(_ user: String, online: Bool) {
        published[user] = (online, .now)
        let publish = publishPresence
        Task { await publish(user, online) }
    }

    /// Closes sessions whose clients have been silent longer than `timeout`.
    func closeIdleSessions(timeout: Duration) async {
        for session in sessions.values.flatMap(\.values) where session.silence > timeout {
            await session.close(with: .error(code: "timeout", message: "no frame for \(timeout); send ping to stay connected"))
        }
    }

    /// Tells the connected users in `recipients` about `frame` (encoded once for all).
    func push(_ frame: ServerFrame, to recipients: [String]) async {
        let text = frame.json()
        for user in recipients {
            for session in sessions(of: user) { await session.send(text: text) }
        }
    }

    // MARK: - DeliverySink

    func deliver(_ deliveries: [StoredDelivery]) async {
        for (user, forUser) in Dictionary(grouping: deliveries, by: \.user) {
            for session in sessions(of: user) { await session.push(forUser) }
        }
    }

    func released(_ partitions: [Int32]) async {
        let moved = Set(partitions)
        for (user, devices) in sessions where moved.contains(catalog.userPartition(user)) {
            for session in devices.values { await session.close(with: .reconnect) }
        }
    }
}
