import Foundation
import Projections

/// Salted, slow password hashes: PBKDF2-HMAC-SHA256 with a 16-byte random salt.
public struct Passwords: Sendable {
    /// Iterations of PBKDF2. Default: 100,000; tests use fewer to stay fast.
    public var iterations: Int

    public init(iterations: Int = 100_000) {
        self.iterations = iterations
    }

    public func hash(_ password: String) -> PasswordHash {
        let salt = Crypto.randomBytes(16)
        let hash = Crypto.pbkdf2SHA256(password: password, salt: salt, iterations: iterations)
        return PasswordHash(
            algorithm: "pbkdf2-sha256", iterations: iterations, salt: salt.base64EncodedString(),
            hash: hash.base64EncodedString()
        )
    }

    /// Checks `password` against a stored hash, with the iterations it was made with.
    public func verify(_ password: String, against stored: PasswordHash) -> Bool {
        guard stored.algorithm == "pbkdf2-sha256", let salt = Data(base64Encoded: stored.salt),
            let expected = Data(base64Encoded: stored.hash)
        else { return false }
        let actual = Crypto.pbkdf2SHA256(password: password, salt: salt, iterations: stored.iterations, length: expected.count)
        return Crypto.constantTimeEqual(actual, expected)
    }
}
