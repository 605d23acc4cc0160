import Foundation
import Projections

/// How a gateway node runs.
public struct GatewayConfiguration: Sendable {
    public var host = "127.0.0.1"
    /// 0 picks a free port (tests).
    public var port = 8080
    /// The address clients should use for this node (`http://host:port`); defaults to the
    /// bound address. Other nodes send this node's users here.
    public var advertisedAddress: String?
    /// Where the node keeps its databases: read models and delivery queue.
    public var dataDirectory: String
    /// The database file of `store` (`chat verify` reads the read models' too).
    public func databasePath(_ store: ChatDatabase.Store) -> String { "\(dataDirectory)/\(store.fileName)" }
    /// Signs session tokens; every node of a deployment must share it.
    public var tokenSecret: Data
    public var passwords = Passwords()
    /// The longest message body accepted, in bytes. Default: 16 KiB.
    public var maxMessageBytes = 16 << 10
    /// The largest JSON request body accepted over HTTP. Default: 64 KiB.
    public var maxRequestBytes = 64 << 10
    /// The largest WebSocket frame accepted; larger frames close the connection. Default: 1 MiB.
    public var maxFrameBytes = 1 << 20
    /// The largest media upload. Default: 16 MiB.
    public var maxMediaBytes: Int64 = 16 << 20
    /// Where media files live (default: DATA/media). Gateways of one deployment that serve
    /// the same users' media need the same (shared) directory.
    public var mediaDirectory: String?
    /// Serve the web client from this directory instead of the built-in copy.
    public var webDirectory: String?
    /// A session silent this long is closed (its user goes offline if it was the last).
    /// Default: 60 s; clients send `ping` more often than that.
    public var presenceTimeout: Duration = .seconds(60)
    /// At most one presence change per user per this window. Default: 2 s.
    public var presenceThrottle: Duration = .seconds(2)
    /// At most one typing notice per user and conversation per this window. Default: 1 s.
    public var typingThrottle: Duration = .seconds(1)
    /// How many frames may wait for a client that does not read before its session is closed
    /// (the device then resumes from its cursor when it reconnects). Default: 10,000.
    public var maxQueuedFrames = 10_000

    /// What `/metrics` serves; without it the path is not routed.
    public var metrics: MetricsEndpoint?

    public init(dataDirectory: String, tokenSecret: Data) {
        self.dataDirectory = dataDirectory
        self.tokenSecret = tokenSecret
    }
}
