import Foundation

/// Signed bearer tokens: `base64url(claims JSON) . base64url(HMAC-SHA256(secret, claims))`.
///
/// Every gateway node that shares the secret accepts every node's tokens, with no session
/// store to consult.
public struct SessionTokens: Sendable {
    public struct Claims: Codable, Sendable, Equatable {
        /// The user id.
        public var u: String
        /// The device.
        public var d: String
        /// Expiry, seconds since the epoch.
        public var exp: Int64
    }

    private let secret: Data
    /// How long a token is valid. Default: 30 days.
    public var lifetime: Duration

    public init(secret: Data, lifetime: Duration = .seconds(30 * 24 * 3600)) {
        self.secret = secret
        self.lifetime = lifetime
    }

    public func issue(user: String, device: String, now: Date = Date()) -> String {
        let claims = Claims(u: user, d: device, exp: Int64(now.timeIntervalSince1970) + lifetime.components.seconds)
        let payload = (try? JSONEncoder().encode(claims)) ?? Data()
        return payload.base64URL + "." + Crypto.hmacSHA256(key: secret, message: payload).base64URL
    }

    /// The claims of a valid, unexpired token; nil otherwise.
    public func verify(_ token: String, now: Date = Date()) -> Claims? {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, let payload = Data(base64URL: String(parts[0])),
            let signature = Data(base64URL: String(parts[1])),
            Crypto.constantTimeEqual(signature, Crypto.hmacSHA256(key: secret, message: payload)),
            let claims = try? JSONDecoder().decode(Claims.self, from: payload),
            claims.exp > Int64(now.timeIntervalSince1970)
        else { return nil }
        return claims
    }

    /// The secret at `path`, created (32 random bytes, mode 0600) if missing.
    public static func loadOrCreateSecret(at path: String) throws -> Data {
        if let existing = FileManager.default.contents(atPath: path), existing.count >= 32 { return existing }
        let secret = Crypto.randomBytes(32)
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true
        )
        guard FileManager.default.createFile(atPath: path, contents: secret, attributes: [.posixPermissions: 0o600]) else {
            throw CocoaError(.fileWriteUnknown)
        }
        return secret
    }
}

extension Data {
    var base64URL: String {
        base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    init?(base64URL: String) {
        var text = base64URL.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while text.count % 4 != 0 { text += "=" }
        self.init(base64Encoded: text)
    }
}
