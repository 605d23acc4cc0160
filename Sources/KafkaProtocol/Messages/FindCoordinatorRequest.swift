/// FindCoordinator (key 10) request, v0–2.
public struct FindCoordinatorRequest: KafkaMessage {
    public static let apiKey = APIKey.findCoordinator

    public var key = ""
    /// v1+: 0 group, 1 transaction.
    public var keyType: Int8 = 0

    public init() {}

    public init(key: String, keyType: Int8 = 0) {
        self.key = key
        self.keyType = keyType
    }

    public mutating func serialize<Coder: KafkaWireCoder>(_ coder: inout Coder) throws(Coder.Failure) {
        try coder.string(&key)
        if coder.version >= 1 { try coder.int8(&keyType) }
    }
}
