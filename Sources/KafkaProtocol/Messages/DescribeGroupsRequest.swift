/// DescribeGroups (key 15) request, v0–4.
public struct DescribeGroupsRequest: KafkaMessage {
    public static let apiKey = APIKey.describeGroups

    public var groups: [String] = []
    public var includeAuthorizedOperations = false

    public init() {}

    public init(groups: [String]) { self.groups = groups }

    public mutating func serialize<Coder: KafkaWireCoder>(_ coder: inout Coder) throws(Coder.Failure) {
        try coder.stringArray(&groups)
        if coder.version >= 3 { try coder.bool(&includeAuthorizedOperations) }
    }
}
