/// The shapes of the ids the server hands out.
public enum Identifiers {
    /// The one conversation of two users, the same from both sides.
    public static func directConversation(_ first: String, _ second: String) -> String {
        first < second ? "d-\(first)-\(second)" : "d-\(second)-\(first)"
    }

    public static func isDirect(_ conversation: String) -> Bool { conversation.hasPrefix("d-") }

    /// A media id: the lowercase hex SHA-256 of the bytes.
    public static func isMediaId(_ text: String) -> Bool {
        text.utf8.count == 64 && text.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }

    /// The two users of a direct conversation id, or nil if it is not one.
    public static func directMembers(_ conversation: String) -> (String, String)? {
        guard isDirect(conversation) else { return nil }
        let parts = conversation.dropFirst(2).split(separator: "-")
        guard parts.count == 2 else { return nil }
        return (String(parts[0]), String(parts[1]))
    }

    public static func messageId(conversation: String, seq: Int64) -> String { "\(conversation).\(seq)" }

    /// A new random id: `prefix` then 12 characters of [a-z0-9].
    public static func random(prefix: String) -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789")
        var generator = SystemRandomNumberGenerator()
        return prefix + String((0..<12).map { _ in alphabet[Int(generator.next(upperBound: UInt(alphabet.count)))] })
    }
}
