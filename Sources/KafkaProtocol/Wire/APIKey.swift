/// The Kafka APIs this broker speaks, with the version ranges it advertises in ApiVersions.
///
/// The ranges follow the compatibility table in docs/broker.md: every minimum is
/// low enough for librdkafka 2.0.2's single-version feature checks (Produce must include v0 or
/// it stops compressing), and every maximum stays below the API's first flexible version except
/// ApiVersions, so no response ever carries tagged fields that old clients mis-skip.
public enum APIKey: Int16, CaseIterable, Hashable, Sendable, CustomStringConvertible {
    case produce = 0
    case fetch = 1
    case listOffsets = 2
    case metadata = 3
    case offsetCommit = 8
    case offsetFetch = 9
    case findCoordinator = 10
    case joinGroup = 11
    case heartbeat = 12
    case leaveGroup = 13
    case syncGroup = 14
    case describeGroups = 15
    case listGroups = 16
    case apiVersions = 18
    case createTopics = 19
    case deleteTopics = 20
    case deleteRecords = 21
    case initProducerId = 22
    case describeConfigs = 32

    /// The versions this broker accepts and advertises.
    public var supportedVersions: ClosedRange<Int16> {
        switch self {
        case .produce: 0...7
        case .fetch: 4...11
        case .listOffsets: 1...5
        case .metadata: 0...6
        case .offsetCommit: 2...7
        case .offsetFetch: 1...5
        case .findCoordinator: 0...2
        case .joinGroup: 0...5
        case .heartbeat: 0...3
        case .leaveGroup: 0...1
        case .syncGroup: 0...3
        case .describeGroups: 0...4
        case .listGroups: 0...2
        case .apiVersions: 0...4
        case .createTopics: 0...4
        case .deleteTopics: 0...3
        case .deleteRecords: 0...1
        case .initProducerId: 0...1
        case .describeConfigs: 0...2
        }
    }

    /// The first version of the API whose messages are flexible (compact lengths, tagged fields).
    public var firstFlexibleVersion: Int16 {
        switch self {
        case .produce: 9
        case .fetch: 12
        case .listOffsets: 6
        case .metadata: 9
        case .offsetCommit: 8
        case .offsetFetch: 6
        case .findCoordinator: 3
        case .joinGroup: 6
        case .heartbeat: 4
        case .leaveGroup: 4
        case .syncGroup: 4
        case .describeGroups: 5
        case .listGroups: 3
        case .apiVersions: 3
        case .createTopics: 5
        case .deleteTopics: 4
        case .deleteRecords: 2
        case .initProducerId: 2
        case .describeConfigs: 4
        }
    }

    public func isFlexible(_ version: Int16) -> Bool {
        version >= firstFlexibleVersion
    }

    public var description: String {
        switch self {
        case .produce: "Produce"
        case .fetch: "Fetch"
        case .listOffsets: "ListOffsets"
        case .metadata: "Metadata"
        case .offsetCommit: "OffsetCommit"
        case .offsetFetch: "OffsetFetch"
        case .findCoordinator: "FindCoordinator"
        case .joinGroup: "JoinGroup"
        case .heartbeat: "Heartbeat"
        case .leaveGroup: "LeaveGroup"
        case .syncGroup: "SyncGroup"
        case .describeGroups: "DescribeGroups"
        case .listGroups: "ListGroups"
        case .apiVersions: "ApiVersions"
        case .createTopics: "CreateTopics"
        case .deleteTopics: "DeleteTopics"
        case .deleteRecords: "DeleteRecords"
        case .initProducerId: "InitProducerId"
        case .describeConfigs: "DescribeConfigs"
        }
    }
}
