/// ListGroups (key 16) request, v0–2: an empty body.
public struct ListGroupsRequest: KafkaMessage {
    public static let apiKey = APIKey.listGroups

    public init() {}

    public mutating func serialize<Coder: KafkaWireCoder>(_ coder: inout Coder) throws(Coder.Failure) {}
}
