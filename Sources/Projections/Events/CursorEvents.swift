import JSON

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

extension DeviceCursor {
    public init(json: inout JSONReader) throws(JSONError) {
        var user: String?
        var device: String?
        var acked: Int64?
        var ts: Int64?
        try json.beginObject()
        while let key = try json.nextKey() {
            switch key {
            case "acked": acked = try json.readInt()
            case "device": device = try json.readString()
            case "ts": ts = try json.readInt()
            case "user": user = try json.readString()
            default: try json.skipValue()
            }
        }
        try self.init(
            user: user.required("user"),
            device: device.required("device"),
            acked: acked.required("acked"),
            ts: ts.required("ts")
        )
    }

    public func write(to json: inout JSONWriter) {
        json.beginObject()
        json.field("acked", acked)
        json.field("device", device)
        json.field("ts", ts)
        json.field("user", user)
        json.endObject()
    }
}
