import COpenSSL
import Foundation

/// The few primitives of OpenSSL's libcrypto the gateway needs.
public enum Crypto {
    public static func hmacSHA256(key: Data, message: Data) -> Data {
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        key.withUnsafeBytes { keyBytes in
            message.withUnsafeBytes { messageBytes in
                _ = HMAC(
                    EVP_sha256(), keyBytes.baseAddress, Int32(keyBytes.count),
                    messageBytes.baseAddress?.assumingMemoryBound(to: UInt8.self), messageBytes.count, &digest, &length
                )
            }
        }
        return Data(digest.prefix(Int(length)))
    }

    public static func pbkdf2SHA256(password: String, salt: Data, iterations: Int, length: Int = 32) -> Data {
        var output = [UInt8](repeating: 0, count: length)
        let passwordBytes = Array(password.utf8).map { CChar(bitPattern: $0) }
        salt.withUnsafeBytes { saltBytes in
            _ = PKCS5_PBKDF2_HMAC(
                passwordBytes, Int32(passwordBytes.count), saltBytes.baseAddress?.assumingMemoryBound(to: UInt8.self),
                Int32(saltBytes.count), Int32(iterations), EVP_sha256(), Int32(length), &output
            )
        }
        return Data(output)
    }

    public static func randomBytes(_ count: Int) -> Data {
        var bytes = [UInt8](repeating: 0, count: count)
        if RAND_bytes(&bytes, Int32(count)) != 1 {
            var generator = SystemRandomNumberGenerator()
            for index in bytes.indices { bytes[index] = generator.next() }
        }
        return Data(bytes)
    }

    /// Compares without an early exit, so timing does not reveal where secrets differ.
    public static func constantTimeEqual(_ lhs: Data, _ rhs: Data) -> Bool {
        guard lhs.count == rhs.count else { return false }
        return zip(lhs, rhs).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }
}

/// A streaming SHA-256, for uploads that never sit whole in memory.
public final class SHA256Stream {
    private let context: OpaquePointer

    public init() {
        context = EVP_MD_CTX_new()
        EVP_DigestInit_ex(context, EVP_sha256(), nil)
    }

    deinit { EVP_MD_CTX_free(context) }

    public func update(_ bytes: UnsafeRawBufferPointer) {
        EVP_DigestUpdate(context, bytes.baseAddress, bytes.count)
    }

    public func finalizeHex() -> String {
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        EVP_DigestFinal_ex(context, &digest, &length)
        return digest.prefix(Int(length)).map { String(format: "%02x", $0) }.joined()
    }
}
