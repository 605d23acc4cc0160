/// How a password is stored: PBKDF2-HMAC-SHA256 with a per-user salt.
public struct PasswordHash: Codable, Sendable, Equatable {
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
