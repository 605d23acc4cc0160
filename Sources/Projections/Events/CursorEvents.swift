/// `chat.cursors` (compacted), keyed by `user/device`: how far each device has acknowledged
/// its deliveries. Written to the partition of the user's inbox, so one node reads both.
public struct DeviceCursor: ChatEvent {
    public static let type = "DeviceCursor"
    public static let version = 1

    public var user: String
    public var device: String
    /// The highest `dseq` the device has acknowledged.
    public var acked: Int64
    public var ts: Int64

    public init(user: String, device: String, acked: Int64, ts: Int64) {
        self.user = user
        self.device = device
        self.acked = acked
        self.ts = ts
    }

    public var key: String { "\(user)/\(device)" }
}
