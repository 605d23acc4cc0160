/// A Kafka protocol error code, as carried in responses (`Errors.java` in Apache Kafka).
public struct KafkaErrorCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: Int16

    public init(rawValue: Int16) { self.rawValue = rawValue }

    public static let unknownServerError = Self(rawValue: -1)
    public static let none = Self(rawValue: 0)
    public static let offsetOutOfRange = Self(rawValue: 1)
    public static let corruptMessage = Self(rawValue: 2)
    public static let unknownTopicOrPartition = Self(rawValue: 3)
    public static let leaderNotAvailable = Self(rawValue: 5)
    public static let requestTimedOut = Self(rawValue: 7)
    public static let messageTooLarge = Self(rawValue: 10)
    public static let offsetMetadataTooLarge = Self(rawValue: 12)
    public static let coordinatorLoadInProgress = Self(rawValue: 14)
    public static let coordinatorNotAvailable = Self(rawValue: 15)
    public static let notCoordinator = Self(rawValue: 16)
    public static let invalidTopic = Self(rawValue: 17)
    public static let recordListTooLarge = Self(rawValue: 18)
    public static let invalidRequiredAcks = Self(rawValue: 21)
    public static let illegalGeneration = Self(rawValue: 22)
    public static let inconsistentGroupProtocol = Self(rawValue: 23)
    public static let invalidGroupId = Self(rawValue: 24)
    public static let unknownMemberId = Self(rawValue: 25)
    public static let invalidSessionTimeout = Self(rawValue: 26)
    public static let rebalanceInProgress = Self(rawValue: 27)
    public static let invalidCommitOffsetSize = Self(rawValue: 28)
    public static let invalidTimestamp = Self(rawValue: 32)
    public static let unsupportedVersion = Self(rawValue: 35)
    public static let topicAlreadyExists = Self(rawValue: 36)
    public static let invalidPartitions = Self(rawValue: 37)
    public static let invalidReplicationFactor = Self(rawValue: 38)
    public static let invalidReplicaAssignment = Self(rawValue: 39)
    public static let invalidConfig = Self(rawValue: 40)
    public static let invalidRequest = Self(rawValue: 42)
    public static let unsupportedForMessageFormat = Self(rawValue: 43)
    public static let outOfOrderSequenceNumber = Self(rawValue: 45)
    public static let duplicateSequenceNumber = Self(rawValue: 46)
    public static let invalidProducerEpoch = Self(rawValue: 47)
    public static let transactionalIdAuthorizationFailed = Self(rawValue: 53)
    public static let kafkaStorageError = Self(rawValue: 56)
    public static let unknownProducerId = Self(rawValue: 59)
    public static let groupIdNotFound = Self(rawValue: 69)
    public static let unsupportedCompressionType = Self(rawValue: 76)
    public static let memberIdRequired = Self(rawValue: 79)
    public static let invalidRecord = Self(rawValue: 87)

    public var description: String {
        switch self {
        case .none: "NONE"
        case .offsetOutOfRange: "OFFSET_OUT_OF_RANGE"
        case .corruptMessage: "CORRUPT_MESSAGE"
        case .unknownTopicOrPartition: "UNKNOWN_TOPIC_OR_PARTITION"
        case .messageTooLarge: "MESSAGE_TOO_LARGE"
        case .invalidTopic: "INVALID_TOPIC_EXCEPTION"
        case .invalidRequiredAcks: "INVALID_REQUIRED_ACKS"
        case .outOfOrderSequenceNumber: "OUT_OF_ORDER_SEQUENCE_NUMBER"
        case .invalidProducerEpoch: "INVALID_PRODUCER_EPOCH"
        case .invalidRecord: "INVALID_RECORD"
        case .unsupportedForMessageFormat: "UNSUPPORTED_FOR_MESSAGE_FORMAT"
        case .unsupportedCompressionType: "UNSUPPORTED_COMPRESSION_TYPE"
        case .topicAlreadyExists: "TOPIC_ALREADY_EXISTS"
        default: "error \(rawValue)"
        }
    }
}
