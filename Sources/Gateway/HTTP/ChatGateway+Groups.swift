import Consumers
import GRDB
import Hummingbird
import Kafka
import Producers
import Projections

extension ChatGateway {
    struct NewGroup: Decodable {
        var name: String
        var members: [String]
    }

    struct GroupSummary: Encodable {
        var groupId: String
        var name: String
        var members: [String]
    }

    /// A group as its members see it: who is in it, and how far each has received and read
    /// (what a client needs for group ticks, and a new device for its old messages).
    struct GroupDetails: Encodable {
        struct Member: Encodable {
            var userId: String
            var username: String?
            var role: String
            var delivered: Int64
            var read: Int64
        }

        var groupId: String
        var name: String
        var members: [Member]
    }

    struct MemberChange: Decodable {
        var user: String
    }

    func addGroupRoutes(to router: Router<ChatRequestContext>) {
        router.post("/v1/groups") { [self] request, _ -> Response in
            let caller = try identity(request)
            let group = try await JSONBody.decode(NewGroup.self, from: request, limit: configuration.maxRequestBytes)
            guard (1...64).contains(group.name.count) else { throw ChatError.invalid("name must be 1-64 characters") }
            guard group.members.count <= 1024 else { throw ChatError.invalid("a group has at most 1024 members") }
            let members = try group.members.map { try user($0).userId }
            let event = GroupCreated(
                groupId: Identifiers.random(prefix: "g"), name: group.name, creator: caller.u, members: members, ts: EventTime.now()
            )
            let report = try await writer.append(event, role: .conversations, key: event.groupId)
            for decision in try await decided(report) {
                if case .groupCreated(let members) = decision {
                    return try JSONBody.response(.created, GroupSummary(groupId: event.groupId, name: event.name, members: members))
                }
            }
            throw ChatError.unavailable("the group was not created")
        }
        router.get("/v1/groups/:group") { [self] request, context -> Response in
            let caller = try identity(request)
            let group = context.parameters.get("group") ?? ""
            let found = try await conversations.database.writer.read { db -> (String, [ConversationQueries.Member])? in
                guard let name = try ConversationQueries.groupName(group, in: db) else { return nil }
                return (name, try ConversationQueries.members(of: group, in: db))
            }
            guard let (name, members) = found else { throw ChatError.notFound("no group \(group)") }
            guard members.contains(where: { $0.user == caller.u }) else { throw ChatError.forbidden("only members see a group") }
            return try JSONBody.response(.ok, GroupDetails(groupId: group, name: name, members: members.map {
                GroupDetails.Member(
                    userId: $0.user, username: accounts.account($0.user)?.username, role: $0.role, delivered: $0.delivered, read: $0.read
                )
            }))
        }
        router.post("/v1/groups/:group/members") { [self] request, context -> Response in
            let caller = try identity(request)
            let change = try await JSONBody.decode(MemberChange.self, from: request, limit: configuration.maxRequestBytes)
            let group = context.parameters.get("group") ?? ""
            let event = MemberAdded(conv: group, user: try user(change.user).userId, by: caller.u, ts: EventTime.now())
            _ = try await decided(try await writer.append(event, role: .conversations, key: group))
            return Response(status: .noContent)
        }
        router.delete("/v1/groups/:group/members/:user") { [self] request, context -> Response in
            let caller = try identity(request)
            let group = context.parameters.get("group") ?? ""
            let member = try user(context.parameters.get("user") ?? "").userId
            let event = MemberRemoved(conv: group, user: member, by: caller.u, ts: EventTime.now())
            _ = try await decided(try await writer.append(event, role: .conversations, key: group))
            return Response(status: .noContent)
        }
    }

    /// What the conversation fold decided about the event just appended at `report`, once
    /// this node's read model has applied it; a rejection becomes the matching HTTP error.
    func decided(_ report: KafkaDeliveryReport) async throws -> [ConversationDecision] {
        guard let decisions = await conversations.decisions(partition: report.partition, offset: report.offset) else {
            throw ChatError.unavailable("the change is stored but this node has not read it back yet")
        }
        for decision in decisions {
            guard case .rejected(let rejection) = decision else { continue }
            switch rejection.code {
            case .forbidden: throw ChatError.forbidden(rejection.message)
            case .notFound: throw ChatError.notFound(rejection.message)
            case .conflict: throw ChatError(.conflict, "conflict", rejection.message)
            case .invalid: throw ChatError.invalid(rejection.message)
            }
        }
        return decisions
    }
}
