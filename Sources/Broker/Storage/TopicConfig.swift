/// The per-topic settings this broker honours, under Kafka's names and with Kafka's defaults.
///
/// A topic stores only its overrides; everything else comes from the broker's defaults, so a
/// later change of a default reaches every topic that did not set its own value.
public struct TopicConfig: Hashable, Sendable {
    public enum CleanupPolicy: String, Sendable {
        case delete
        case compact
        case compactAndDelete = "compact,delete"

        var compacts: Bool { self != .delete }
        var deletes: Bool { self != .compact }
    }

    public struct Invalid: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    public static let names = [
        "cleanup.policy", "retention.ms", "retention.bytes", "segment.bytes", "segment.ms",
        "max.message.bytes", "delete.retention.ms", "min.compaction.lag.ms", "min.cleanable.dirty.ratio",
        "index.interval.bytes",
    ]

    public var cleanupPolicy = CleanupPolicy.delete
    /// -1 keeps records forever.
    public var retentionMs: Int64 = 7 * 24 * 3_600_000
    /// -1 means no size limit.
    public var retentionBytes: Int64 = -1
    public var segmentBytes = 1 << 30
    public var segmentMs: Int64 = 7 * 24 * 3_600_000
    public var maxMessageBytes = 1_048_588
    /// How long a tombstone survives compaction, so that readers see the delete.
    public var deleteRetentionMs: Int64 = 24 * 3_600_000
    public var minCompactionLagMs: Int64 = 0
    /// The share of closed-segment bytes written since the last compaction that starts one.
    public var minCleanableDirtyRatio = 0.5
    public var indexIntervalBytes = 4096

    public init() {}

    /// These defaults with `overrides` applied; throws on an unknown name or a bad value.
    public func applying(_ overrides: [String: String]) throws(Invalid) -> TopicConfig {
        var config = self
        for (name, value) in overrides {
            try config.set(name, value)
        }
        return config
    }

    private mutating func set(_ name: String, _ value: String) throws(Invalid) {
        func integer(minimum: Int64) throws(Invalid) -> Int64 {
            guard let number = Int64(value), number >= minimum else {
                throw Invalid(description: "\(name) must be an integer of at least \(minimum), not '\(value)'")
            }
            return number
        }
        switch name {
        case "cleanup.policy":
            let normalized = value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.sorted()
            guard let policy = CleanupPolicy(rawValue: normalized.joined(separator: ",")) else {
                throw Invalid(description: "cleanup.policy must be delete, compact or compact,delete, not '\(value)'")
            }
            cleanupPolicy = policy
        case "retention.ms": retentionMs = try integer(minimum: -1)
        case "retention.bytes": retentionBytes = try integer(minimum: -1)
        case "segment.bytes": segmentBytes = Int(try integer(minimum: 14))
        case "segment.ms": segmentMs = try integer(minimum: 1)
        case "max.message.bytes": maxMessageBytes = Int(try integer(minimum: 0))
        case "delete.retention.ms": deleteRetentionMs = try integer(minimum: 0)
        case "min.compaction.lag.ms": minCompactionLagMs = try integer(minimum: 0)
        case "index.interval.bytes": indexIntervalBytes = Int(try integer(minimum: 0))
        case "min.cleanable.dirty.ratio":
            guard let ratio = Double(value), (0...1).contains(ratio) else {
                throw Invalid(description: "min.cleanable.dirty.ratio must be a number from 0 to 1, not '\(value)'")
            }
            minCleanableDirtyRatio = ratio
        default: throw Invalid(description: "unknown topic config '\(name)'")
        }
    }

    /// The value of `name` as Kafka would print it.
    public func value(of name: String) -> String? {
        switch name {
        case "cleanup.policy": cleanupPolicy.rawValue
        case "retention.ms": String(retentionMs)
        case "retention.bytes": String(retentionBytes)
        case "segment.bytes": String(segmentBytes)
        case "segment.ms": String(segmentMs)
        case "max.message.bytes": String(maxMessageBytes)
        case "delete.retention.ms": String(deleteRetentionMs)
        case "min.compaction.lag.ms": String(minCompactionLagMs)
        case "index.interval.bytes": String(indexIntervalBytes)
        case "min.cleanable.dirty.ratio": String(minCleanableDirtyRatio)
        default: nil
        }
    }
}

import Foundation
