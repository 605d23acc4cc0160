import JSON

/// The stored form of a state (the `state` column): every field but the client-id windows,
/// which a store keeps as rows. Keys and dictionary entries are in sorted order, so the same
/// state is the same bytes on every node and in every rebuild.
extension ConversationState: JSONRepresentable {
    public init(json: inout JSONReader) throws(JSONError) {
        var id: String?
        var kind: Kind?
        var name: String?
        var members: [String: Role]?
        var lastSeq: Int64 = 0
        var lastMessageTs: Int64 = 0
        var delivered: [String: Int64] = [:]
        var read: [String: Int64] = [:]
        var sent: [String: SentRange] = [:]
        var createdAt: Int64?
        try json.beginObject()
        while let key = try json.nextKey() {
            switch key {
            case "createdAt": createdAt = try json.readInt()
            case "delivered": delivered = try Self.readMap(&json) { json throws(JSONError) in try json.readInt() }
            case "id": id = try json.readString()
            case "kind":
                let text = try json.readString()
                kind = try Kind(rawValue: text).required("kind (direct or group, not \(text))")
            case "lastMessageTs": lastMessageTs = try json.readInt()
            case "lastSeq": lastSeq = try json.readInt()
            case "members":
                members = try Self.readMap(&json) { json throws(JSONError) in
                    let text = try json.readString()
                    return try Role(rawValue: text).required("role (admin or member, not \(text))")
                }
            case "name": name = try json.readOptionalString()
            case "read": read = try Self.readMap(&json) { json throws(JSONError) in try json.readInt() }
            case "sent": sent = try Self.readMap(&json) { json throws(JSONError) in try SentRange(json: &json) }
            default: try json.skipValue()
            }
        }
        try self.init(
            id: id.required("id"), kind: kind.required("kind"), name: name, members: members.required("members"),
            createdAt: createdAt.required("createdAt")
        )
        (self.lastSeq, self.lastMessageTs, self.delivered, self.read, self.sent) = (lastSeq, lastMessageTs, delivered, read, sent)
    }

    public func write(to json: inout JSONWriter) {
        json.beginObject()
        json.field("createdAt", createdAt)
        json.key("delivered")
        Self.writeMap(delivered, to: &json) { json, value in json.int(value) }
        json.field("id", id)
        json.field("kind", kind.rawValue)
        json.field("lastMessageTs", lastMessageTs)
        json.field("lastSeq", lastSeq)
        json.key("members")
        Self.writeMap(members, to: &json) { json, role in json.string(role.rawValue) }
        json.field("name", name)
        json.key("read")
        Self.writeMap(read, to: &json) { json, value in json.int(value) }
        json.key("sent")
        Self.writeMap(sent, to: &json) { json, range in range.write(to: &json) }
        json.endObject()
    }

    private static func readMap<Value>(
        _ json: inout JSONReader, _ value: (inout JSONReader) throws(JSONError) -> Value
    ) throws(JSONError) -> [String: Value] {
        var map: [String: Value] = [:]
        try json.beginObject()
        while let key = try json.nextKey() { map[key] = try value(&json) }
        return map
    }

    private static func writeMap<Value>(
        _ map: [String: Value], to json: inout JSONWriter, _ value: (inout JSONWriter, Value) -> Void
    ) {
        json.beginObject()
        for (key, element) in map.sorted(by: { $0.key < $1.key }) {
            json.key(string: key)
            value(&json, element)
        }
        json.endObject()
    }
}

extension ConversationState.SentRange {
    init(json: inout JSONReader) throws(JSONError) {
        var first: Int64?
        var last: Int64?
        try json.beginObject()
        while let key = try json.nextKey() {
            switch key {
            case "first": first = try json.readInt()
            case "last": last = try json.readInt()
            default: try json.skipValue()
            }
        }
        self.init(first: try first.required("first"), last: try last.required("last"))
    }

    func write(to json: inout JSONWriter) {
        json.beginObject()
        json.field("first", first)
        json.field("last", last)
        json.endObject()
    }
}
