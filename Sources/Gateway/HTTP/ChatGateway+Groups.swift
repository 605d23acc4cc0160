import Consumers
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
                groupId: Identifiers.random(prefix: "g"), name: group.name, creator: caller.u, members: members, ts: Self.now()
            )
            let report = try await writer.append(event, role: .conversations, key: event.groupId)
            for decision in try await decided(report) {
                if case .groupCreated(let members) = decision {
                    return try JSONBody.response(.created, GroupSummary(groupId: event.groupId, name: event.name, members: members))
                }
            }
            throw ChatError.unavailable("the group was not created")
        }
        router.post("/v1/groups/:group/members") { [self] request, context -> Response in
            let caller = try identity(request)
            let change = try await JSONBody.decode(MemberChange.self, from: request, limit: configuration.maxRequestBytes)
            let group = context.parameters.get("group") ?? ""
            let event = MemberAdded(conv: group, user: try user(change.user).userId, by: caller.u, ts: Self.now())
            _ = try await decided(try await writer.append(event, role: .conversations, key: group))
            return Response(status: .noContent)
        }
        router.delete("/v1/groups/:group/members/:user") { [self] request, context -> Response in
            let caller = try identity(request)
            let group = context.parameters.get("group") ?? ""
            let member = try user(context.parameters.get("user") ?? "").userId
            let event = MemberRemoved(conv: group, user: member, by: caller.u, ts: Self.now())
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
