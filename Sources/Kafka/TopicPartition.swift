import CRdKafka

public struct TopicPartition: Hashable, Sendable, CustomStringConvertible {
    public var topic: String
    public var partition: Int32

    public init(topic: String, partition: Int32) {
        self.topic = topic
        self.partition = partition
    }

    public var description: String { "\(topic)[\(partition)]" }
}

/// Special offsets understood by `assign` (librdkafka's logical offsets).
public enum KafkaOffset {
    public static let beginning = Int64(RD_KAFKA_OFFSET_BEGINNING)
    public static let end = Int64(RD_KAFKA_OFFSET_END)
}

/// Builds and reads `rd_kafka_topic_partition_list_t`, which the caller destroys.
enum PartitionList {
    static func make(_ entries: [(TopicPartition, Int64?)]) -> UnsafeMutablePointer<rd_kafka_topic_partition_list_t> {
        let list = rd_kafka_topic_partition_list_new(Int32(max(entries.count, 1)))!
        for (partition, offset) in entries {
            let element = rd_kafka_topic_partition_list_add(list, partition.topic, partition.partition)!
            if let offset { element.pointee.offset = offset }
        }
        return list
    }

    static func entries(_ list: UnsafePointer<rd_kafka_topic_partition_list_t>) -> [(TopicPartition, Int64, Int32)] {
        (0..<Int(list.pointee.cnt)).map { index in
            let element = list.pointee.elems[index]
            return (
                TopicPartition(topic: String(cString: element.topic), partition: element.partition),
                element.offset, element.err.rawValue
            )
        }
    }
}
