/// InitProducerId (key 22) request, v0–1. Idempotent producers send it before their first batch.
public struct InitProducerIdRequest: KafkaMessage {
    public static let apiKey = APIKey.initProducerId

    public var transactionalId: String?
    public var transactionTimeoutMs: Int32 = -1

    public init() {}

    public init(transactionalId: String?, transactionTimeoutMs: Int32 = -1) {
        self.transactionalId = transactionalId
        self.transactionTimeoutMs = transactionTimeoutMs
    }

    public mutating func serialize<Coder: KafkaWireCoder>(_ coder: inout Coder) throws(Coder.Failure) {
        try coder.nullableString(&transactionalId)
        try coder.int32(&transactionTimeoutMs)
    }
}
