/// Who is registered: the fold of `chat.accounts`. The first registration of a username wins;
/// later ones are refused, and every node reading the log agrees on which.
public struct AccountsState: Sendable, Equatable {
    public struct Account: Sendable, Equatable {
        public var userId: String
        public var username: String
        public var displayName: String
        public var password: PasswordHash
        public var registeredAt: Int64
    }

    public private(set) var byId: [String: Account] = [:]
    public private(set) var idByUsername: [String: String] = [:]

    public init() {}

    public enum Outcome: Sendable, Equatable {
        case registered
        case usernameTaken
        case duplicateUserId
    }

    public mutating func apply(_ event: UserRegistered) -> Outcome {
        if idByUsername[event.username] != nil { return .usernameTaken }
        if byId[event.userId] != nil { return .duplicateUserId }
        byId[event.userId] = Account(
            userId: event.userId, username: event.username, displayName: event.displayName, password: event.password,
            registeredAt: event.ts
        )
        idByUsername[event.username] = event.userId
        return .registered
    }

    /// A user by id or by username.
    public func account(_ reference: String) -> Account? {
        byId[reference] ?? idByUsername[reference].flatMap { byId[$0] }
    }
}
