/// InitProducerId (key 22) response, v0–1.
public struct InitProducerIdResponse: KafkaMessage {
    public static let apiKey = APIKey.initProducerId

    public var throttleTimeMs: Int32 = 0
    public var errorCode: Int16 = 0
    public var producerId: Int64 = -1
    public var producerEpoch: Int16 = -1

    public init() {}

    public init(errorCode: KafkaErrorCode, producerId: Int64 = -1, producerEpoch: Int16 = -1) {
        self.errorCode = errorCode.rawValue
        self.producerId = producerId
        self.producerEpoch = producerEpoch
    }

    public mutating func serialize<Coder: KafkaWireCoder>(_ coder: inout Coder) throws(Coder.Failure) {
        try coder.int32(&throttleTimeMs)
        try coder.int16(&errorCode)
        try coder.int64(&producerId)
        try coder.int16(&producerEpoch)
    }
}
