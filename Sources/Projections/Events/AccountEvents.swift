import JSON

/// How a password is stored: PBKDF2-HMAC-SHA256 with a per-user salt.
public struct PasswordHash: JSONRepresentable, Sendable, Equatable {
    public var algorithm: String
    public var iterations: Int
    /// Base64.
    public var salt: String
    /// Base64.
    public var hash: String

    public init(algorithm: String, iterations: Int, salt: String, hash: String) {
        self.algorithm = algorithm
        self.iterations = iterations
        self.salt = salt
        self.hash = hash
    }
}

extension PasswordHash {
    public init(json: inout JSONReader) throws(JSONError) {
        var algorithm: String?
        var iterations: Int?
        var salt: String?
        var hash: String?
        try json.beginObject()
        while let key = try json.nextKey() {
            switch key {
            case "algorithm": algorithm = try json.readString()
            case "hash": hash = try json.readString()
            case "iterations": iterations = try Int(json.readInt())
            case "salt": salt = try json.readString()
            default: try json.skipValue()
            }
        }
        try self.init(
            algorithm: algorithm.required("algorithm"),
            iterations: iterations.required("iterations"),
            salt: salt.required("salt"),
            hash: hash.required("hash")
        )
    }

    public func write(to json: inout JSONWriter) {
        json.beginObject()
        json.field("algorithm", algorithm)
        json.field("hash", hash)
        json.field("iterations", Int64(iterations))
        json.field("salt", salt)
        json.endObject()
    }
}

/// `chat.accounts`, keyed by username so that two registrations of one name are ordered in
/// one partition and the first one wins everywhere.
public struct UserRegistered: ChatEvent {
    public static let type = "UserRegistered"
    public static let version = 1

    public var userId: String
    public var username: String
    public var displayName: String
    public var password: PasswordHash
    public var ts: Int64

    public init(userId: String, username: String, displayName: String, password: PasswordHash, ts: Int64) {
        self.userId = userId
        self.username = username
        self.displayName = displayName
        self.password = password
        self.ts = ts
    }
}

extension UserRegistered {
    public init(json: inout JSONReader) throws(JSONError) {
        var userId: String?
        var username: String?
        var displayName: String?
        var password: PasswordHash?
        var ts: Int64?
        try json.beginObject()
        while let key = try json.nextKey() {
            switch key {
            case "display_name": displayName = try json.readString()
            case "password": password = try PasswordHash(json: &json)
            case "ts": ts = try json.readInt()
            case "user_id": userId = try json.readString()
            case "username": username = try json.readString()
            default: try json.skipValue()
            }
        }
        try self.init(
            userId: userId.required("user_id"),
            username: username.required("username"),
            displayName: displayName.required("display_name"),
            password: password.required("password"),
            ts: ts.required("ts")
        )
    }

    public func write(to json: inout JSONWriter) {
        json.beginObject()
        json.field("display_name", displayName)
        json.key("password")
        password.write(to: &json)
        json.field("ts", ts)
        json.field("user_id", userId)
        json.field("username", username)
        json.endObject()
    }
}

/// `chat.media`, keyed by media id: someone uploaded these bytes. The same bytes uploaded
/// again (by anyone) keep their id; each upload is recorded, so each uploader may read them.
public struct MediaUploaded: ChatEvent {
    public static let type = "MediaUploaded"
    public static let version = 1

    /// Lowercase hex SHA-256 of the bytes.
    public var mediaId: String
    public var size: Int64
    public var contentType: String
    public var uploader: String
    public var ts: Int64

    public init(mediaId: String, size: Int64, contentType: String, uploader: String, ts: Int64) {
        self.mediaId = mediaId
        self.size = size
        self.contentType = contentType
        self.uploader = uploader
        self.ts = ts
    }
}

extension MediaUploaded {
    public init(json: inout JSONReader) throws(JSONError) {
        var mediaId: String?
        var size: Int64?
        var contentType: String?
        var uploader: String?
        var ts: Int64?
        try json.beginObject()
        while let key = try json.nextKey() {
            switch key {
            case "content_type": contentType = try json.readString()
            case "media_id": mediaId = try json.readString()
            case "size": size = try json.readInt()
            case "ts": ts = try json.readInt()
            case "uploader": uploader = try json.readString()
            default: try json.skipValue()
            }
        }
        try self.init(
            mediaId: mediaId.required("media_id"),
            size: size.required("size"),
            contentType: contentType.required("content_type"),
            uploader: uploader.required("uploader"),
            ts: ts.required("ts")
        )
    }

    public func write(to json: inout JSONWriter) {
        json.beginObject()
        json.field("content_type", contentType)
        json.field("media_id", mediaId)
        json.field("size", size)
        json.field("ts", ts)
        json.field("uploader", uploader)
        json.endObject()
    }
}
