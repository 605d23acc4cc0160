import Consumers
import Foundation
import Hummingbird
import Kafka
import Producers
import Projections

extension ChatGateway {
    struct Registration: Decodable {
        var username: String
        var password: String
        var displayName: String?
    }

    struct Registered: Encodable {
        var userId: String
        var username: String
    }

    struct Login: Decodable {
        var username: String
        var password: String
        var device: String?
    }

    struct Session: Encodable {
        var token: String
        var userId: String
        var device: String
        /// Extension: the node that serves this user's devices.
        var node: String
    }

    struct Profile: Encodable {
        var userId: String
        var username: String
        var displayName: String
        var online: Bool
        var lastSeen: Int64?

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(userId, forKey: .userId)
            try container.encode(username, forKey: .username)
            try container.encode(displayName, forKey: .displayName)
            try container.encode(online, forKey: .online)
            try container.encode(lastSeen, forKey: .lastSeen)  // null until the user has been seen
        }

        enum CodingKeys: String, CodingKey {
            case userId, username, displayName, online, lastSeen
        }
    }

    static func validUsername(_ name: String) -> Bool {
        (3...32).contains(name.count) && name.unicodeScalars.allSatisfy {
            ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" || $0 == "." || $0 == "-"
        }
    }

    static func validDevice(_ name: String) -> Bool {
        (1...64).contains(name.count) && name.unicodeScalars.allSatisfy {
            ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || "_.-".unicodeScalars.contains($0)
        }
    }

    func addUserRoutes(to router: Router<ChatRequestContext>) {
        router.post("/v1/users") { [self] request, _ -> Response in
            let registration = try await JSONBody.decode(Registration.self, from: request, limit: configuration.maxRequestBytes)
            return try await register(registration)
        }
        router.post("/v1/sessions") { [self] request, _ -> Response in
            let login = try await JSONBody.decode(Login.self, from: request, limit: configuration.maxRequestBytes)
            let device = login.device ?? "default"
            guard Self.validDevice(device) else { throw ChatError.invalid("device must be 1-64 of [A-Za-z0-9_.-]") }
            guard let account = accounts.account(login.username), account.username == login.username,
                configuration.passwords.verify(login.password, against: account.password)
            else { throw ChatError.wrongPassword }
            return try JSONBody.response(.created, Session(
                token: tokens.issue(user: account.userId, device: device), userId: account.userId, device: device,
                node: await node(serving: account.userId) ?? nodeAddress
            ))
        }
        router.get("/v1/users/:user") { [self] request, context -> Response in
            _ = try identity(request)
            let account = try user(context.parameters.get("user") ?? "")
            let status = presence.status(of: account.userId)
            return try JSONBody.response(.ok, Profile(
                userId: account.userId, username: account.username, displayName: account.displayName,
                online: status?.online ?? false, lastSeen: status?.lastSeen
            ))
        }
    }

    /// Appends the registration, then reads it back through this node's accounts directory:
    /// the log decides which of two registrations of one username came first.
    private func register(_ registration: Registration) async throws -> Response {
        guard Self.validUsername(registration.username) else {
            throw ChatError.invalid("username must be 3-32 of [a-z0-9_.-]")
        }
        guard (6...256).contains(registration.password.count) else {
            throw ChatError.invalid("password must be 6-256 characters")
        }
        let displayName = registration.displayName ?? registration.username
        guard (1...64).contains(displayName.count) else { throw ChatError.invalid("display_name must be 1-64 characters") }
        guard accounts.account(registration.username) == nil else { throw ChatError.usernameTaken }

        let event = UserRegistered(
            userId: Identifiers.random(prefix: "u"), username: registration.username, displayName: displayName,
            password: configuration.passwords.hash(registration.password), ts: EventTime.now()
        )
        let report = try await writer.append(event, role: .accounts, key: event.username)
        guard await accounts.applied.wait(for: report.offset, in: report.partition) else {
            throw ChatError.unavailable("the registration is stored but not yet readable; try to log in shortly")
        }
        guard accounts.account(event.username)?.userId == event.userId else { throw ChatError.usernameTaken }
        return try JSONBody.response(.created, Registered(userId: event.userId, username: event.username))
    }
}
