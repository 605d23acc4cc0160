/// How a broker is run. Defaults suit the embedded single-node use of `chat serve`.
public struct BrokerConfiguration: Sendable {
    /// Where topics, committed offsets and broker metadata live.
    public var dataDirectory: String
    /// The address to listen on. Port 0 picks a free port (tests).
    public var host = "127.0.0.1"
    public var port = 9092
    /// The address clients are told to connect to in Metadata; defaults to the bound one.
    public var advertisedHost: String?
    public var advertisedPort: Int?
    /// This broker's node id in Metadata and FindCoordinator.
    public var nodeId: Int32 = 0
    /// Create a topic when a client asks for its metadata and allows it. Default: off, as
    /// topics are created explicitly with their partition counts and configs.
    public var autoCreateTopics = false
    /// Partitions of an auto-created topic, or of a CreateTopics that asks for the default.
    public var defaultPartitions: Int32 = 1
    /// The topic settings every topic starts from.
    public var topicDefaults = TopicConfig()
    /// The largest request frame accepted; larger ones close the connection.
    /// Default: 100 MiB, Kafka's `socket.request.max.bytes`.
    public var maxRequestBytes = 100 << 20
    /// How often retention and compaction look for work. Default: 30 s.
    public var cleanupInterval: Duration = .seconds(30)
    /// Threads that fsync appended data. Default: 2.
    public var flusherThreads = 2
    /// When appends are fsynced, and so when they are acknowledged. Default: before
    /// acknowledging.
    public var flush = FlushPolicy.beforeAcknowledging

    public init(dataDirectory: String) {
        self.dataDirectory = dataDirectory
    }
}
