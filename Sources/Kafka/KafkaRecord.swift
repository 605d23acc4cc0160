import CRdKafka
import Foundation

/// A header of a Kafka record.
public struct KafkaHeader: Hashable, Sendable {
    public var key: String
    public var value: Data?

    public init(key: String, value: Data?) {
        self.key = key
        self.value = value
    }

    public init(_ key: String, _ value: String) {
        self.init(key: key, value: Data(value.utf8))
    }
}

/// A record read from a topic partition.
public struct KafkaRecord: Hashable, Sendable {
    public var topic: String
    public var partition: Int32
    public var offset: Int64
    public var key: Data?
    public var value: Data?
    public var headers: [KafkaHeader]
    /// Milliseconds since the epoch, or nil if the record carries none.
    public var timestamp: Int64?

    public var topicPartition: TopicPartition { TopicPartition(topic: topic, partition: partition) }

    public init(
        topic: String, partition: Int32, offset: Int64, key: Data?, value: Data?, headers: [KafkaHeader] = [],
        timestamp: Int64? = nil
    ) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.key = key
        self.value = value
        self.headers = headers
        self.timestamp = timestamp
    }

    /// The value of the first header named `key`, as UTF-8 text.
    public func header(_ key: String) -> String? {
        headers.first { $0.key == key }?.value.flatMap { String(data: $0, encoding: .utf8) }
    }

    /// Copies a consumed message out of librdkafka's memory.
    init(copying message: UnsafeMutablePointer<rd_kafka_message_t>) {
        let raw = message.pointee
        topic = String(cString: rd_kafka_topic_name(raw.rkt))
        partition = raw.partition
        offset = raw.offset
        key = raw.key.map { Data(bytes: $0, count: raw.key_len) }
        value = raw.payload.map { Data(bytes: $0, count: raw.len) }
        var type = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE
        let time = rd_kafka_message_timestamp(message, &type)
        timestamp = type == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE ? nil : time
        headers = []
        var list: OpaquePointer?
        if rd_kafka_message_headers(message, &list) == RD_KAFKA_RESP_ERR_NO_ERROR, let list {
            var index = 0
            var name: UnsafePointer<CChar>?
            var bytes: UnsafeRawPointer?
            var size = 0
            while rd_kafka_header_get_all(list, index, &name, &bytes, &size) == RD_KAFKA_RESP_ERR_NO_ERROR {
                headers.append(KafkaHeader(key: String(cString: name!), value: bytes.map { Data(bytes: $0, count: size) }))
                index += 1
            }
        }
    }
}
