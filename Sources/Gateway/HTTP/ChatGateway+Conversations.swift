import Consumers
import GRDB
import Hummingbird
import Kafka
import Producers
import Projections

extension ChatGateway {
    struct ConversationEntry: Encodable {
        var conv: String
        var kind: String
        var peer: String?
        var groupId: String?
        var name: String?
        var lastSeq: Int64
        var lastTs: Int64
        var unread: Int64
    }

    struct MessageEntry: Encodable {
        var msgId: String
        var conv: String
        var seq: Int64
        var from: String
        var body: String?
        var media: [String]?
        var ts: Int64
    }

    struct MessagePage: Encodable {
        var messages: [MessageEntry]
    }

    func addConversationRoutes(to router: Router<ChatRequestContext>) {
        router.get("/v1/conversations") { [self] request, _ -> Response in
            let caller = try identity(request)
            let summaries = try await conversations.database.writer.read { db in
                try ConversationQueries.conversations(of: caller.u, in: db)
            }
            return try JSONBody.response(.ok, summaries.map { summary in
                ConversationEntry(
                    conv: summary.id, kind: summary.kind,
                    peer: summary.kind == "direct" ? summary.members.first { $0 != caller.u } : nil,
                    groupId: summary.kind == "group" ? summary.id : nil, name: summary.name, lastSeq: summary.lastSeq,
                    lastTs: summary.lastTs, unread: summary.unread
                )
            })
        }
        router.get("/v1/conversations/:conv/messages") { [self] request, context -> Response in
            let caller = try identity(request)
            let conv = context.parameters.get("conv") ?? ""
            let query = request.uri.queryParameters
            let limit = try query.get("limit").map { text -> Int in
                guard let limit = Int(text), (1...200).contains(limit) else { throw ChatError.invalid("limit must be 1-200") }
                return limit
            } ?? 50
            let before = try query.get("before").map { text -> Int64 in
                guard let before = Int64(text), before > 0 else { throw ChatError.invalid("before must be a positive seq") }
                return before
            }
            let messages = try await conversations.database.writer.read { db -> [ConversationQueries.Message]? in
                guard try ConversationQueries.isMember(caller.u, of: conv, in: db) else { return nil }
                return try ConversationQueries.messages(of: conv, before: before, limit: limit, in: db)
            }
            guard let messages else { throw ChatError.forbidden("only members read a conversation") }
            return try JSONBody.response(.ok, MessagePage(messages: messages.map {
                MessageEntry(msgId: $0.msgId, conv: $0.conv, seq: $0.seq, from: $0.from, body: $0.body, media: $0.media, ts: $0.ts)
            }))
        }
    }
}
