import Foundation
import Synchronization

/// Broker-wide facts that must survive restarts: the cluster id clients see, and how far
/// producer ids have been handed out (in reserved blocks, so a restart never reuses one).
final class BrokerMeta: Sendable {
    private struct Stored: Codable {
        var clusterId: String
        var producerIdsReservedUpTo: Int64
    }

    private struct State {
        var stored: Stored
        var nextProducerId: Int64
    }

    static let fileName = "meta.json"
    private static let producerIdBlock: Int64 = 1000

    private let path: String
    private let state: Mutex<State>

    var clusterId: String { state.withLock { $0.stored.clusterId } }

    init(directory: String) throws {
        path = "\(directory)/\(Self.fileName)"
        let stored: Stored
        if let data = FileManager.default.contents(atPath: path) {
            stored = try JSONDecoder().decode(Stored.self, from: data)
        } else {
            stored = Stored(clusterId: Self.newClusterId(), producerIdsReservedUpTo: 0)
            try writeDurably(JSONEncoder().encode(stored), to: path)
        }
        // Ids up to the reservation may have been handed out before a crash: start after it.
        state = Mutex(State(stored: stored, nextProducerId: stored.producerIdsReservedUpTo))
    }

    /// A producer id never returned before, by this broker or an earlier run of it.
    func allocateProducerId() throws -> Int64 {
        try state.withLock { state in
            if state.nextProducerId >= state.stored.producerIdsReservedUpTo {
                var stored = state.stored
                stored.producerIdsReservedUpTo = state.nextProducerId + Self.producerIdBlock
                try writeDurably(JSONEncoder().encode(stored), to: path)
                state.stored = stored
            }
            defer { state.nextProducerId += 1 }
            return state.nextProducerId
        }
    }

    /// 22 URL-safe base64 characters of a random UUID, the shape Kafka uses.
    private static func newClusterId() -> String {
        let uuid = UUID().uuid
        let bytes = withUnsafeBytes(of: uuid) { Data($0) }
        return bytes.base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
