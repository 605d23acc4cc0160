import Consumers
import Foundation
import GRDB
import HTTPTypes
import Hummingbird
import HummingbirdWebSocket
import Kafka
import Logging
import NIOWebSocket
import Producers
import Projections

extension ChatGateway {
    /// Whether `request` may open a session here: a valid token of a user this node serves.
    /// Otherwise the error names the node that does, when the gateways' group says.
    func admitSession(_ request: Request) async throws -> SessionTokens.Claims {
        switch admission(request) {
        case .success(let claims): return claims
        case .failure(let refusal): throw await explained(refusal)
        }
    }

    /// The same check without the lookup of the serving node, which only a refusal needs.
    private func admission(_ request: Request) -> Result<SessionTokens.Claims, Refusal> {
        let claims: SessionTokens.Claims
        do {
            claims = try identity(request)
        } catch {
            return .failure(Refusal(error: error as? ChatError ?? .unauthorized, user: nil))
        }
        guard inbox.serves(user: claims.u) else {
            let error = ChatError(.misdirectedRequest, "wrong_node", "this node does not serve your devices; connect to the node that does")
            return .failure(Refusal(error: error, user: claims.u))
        }
        return .success(claims)
    }

    private struct Refusal: Error {
        var error: ChatError
        /// Whose devices this node does not serve, for a `wrong_node` refusal.
        var user: String?
    }

    private func explained(_ refusal: Refusal) async -> ChatError {
        var error = refusal.error
        if let user = refusal.user, let node = await node(serving: user) { error.details["node"] = node }
        return error
    }

    /// The upgrade route. Every upgrade is accepted, so that a refused session learns why in
    /// the protocol's own terms: an `error` frame (`unauthorized`, `wrong_node`), then a close
    /// with code 1008. (A refused upgrade could only be an empty 400 here.)
    ///
    /// The session's task lives as long as the connection and keeps the memory its deepest
    /// call chain took, so admission is checked without suspending and a refusal is answered
    /// by a function of its own.
    func addWebSocketRoute(to router: Router<ChatRequestContext>) {
        router.ws("/v1/ws") { _, context in
            let channel = context.channel
            try await channel.eventLoop.submit {
                try channel.pipeline.syncOperations.addHandler(FlushCoalescingHandler(), position: .first)
            }.get()
            return .upgrade([:])
        } onUpgrade: { [self] inbound, outbound, context in
            switch admission(context.request) {
            case .success(let claims):
                let channel = context.requestContext.channel
                let connection = DeviceSession.Connection(clientReads: { channel.isWritable }, close: { channel.close(promise: nil) })
                try await serveSession(
                    user: claims.u, device: claims.d, inbound: inbound, outbound: outbound, connection: connection, logger: context.logger
                )
            case .failure(let refusal):
                try await refuse(refusal, outbound: outbound)
            }
        }
    }

    private func refuse(_ refusal: Refusal, outbound: WebSocketOutboundWriter) async throws {
        let error = await explained(refusal)
        var frame = ServerFrame.error(code: error.code, message: error.message)
        frame.node = error.details["node"]
        try await outbound.write(.text(frame.json()))
        try await outbound.close(.policyViolation, reason: error.code)
    }

    /// `GET /v1/ws` as plain HTTP: the protocol error that explains why it is refused.
    func addWebSocketRefusalRoute(to router: Router<ChatRequestContext>) {
        router.get("/v1/ws") { [self] request, _ -> Response in
            _ = try await admitSession(request)
            throw ChatError(.upgradeRequired, "upgrade_required", "open this path as a WebSocket")
        }
    }

    /// One device's session: catch-up, then live deliveries out and client frames in.
    private func serveSession(
        user: String, device: String, inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter,
        connection: DeviceSession.Connection, logger: Logger
    ) async throws {
        let session = DeviceSession(
            user: user, device: device, maxQueued: configuration.maxQueuedFrames, connection: connection, logger: logger
        ) { [self] session in
            await recordMarkers(of: session)
        }
        // Registered before the catch-up is read: see DeviceSession.
        await registry.add(session)
        // Discarding: the finished catch-up task is freed at once, not kept (about 10 KiB)
        // for as long as the connection lives.
        await withDiscardingTaskGroup { group in
            group.addTask {
                for await text in session.outgoing {
                    do {
                        try await outbound.write(.text(text))
                    } catch {
                        break
                    }
                    session.written()
                }
                try? await outbound.close(.normalClosure, reason: nil)
            }
            do {
                let cursor = try await inbox.connect(user: user, device: device)
                // The catch-up runs beside the reading of client frames: a long one must not
                // leave acks and pings unread (nor the session silent past the presence timeout).
                group.addTask { [inbox] in
                    do {
                        try await session.catchUp(from: cursor) { after, limit in
                            try await inbox.pending(for: user, after: after, limit: limit)
                        }
                    } catch {
                        logger.debug("catch-up failed", metadata: ["user": "\(user)", "error": "\(error)"])
                        await session.close(with: .error(code: "unavailable", message: "the session failed; connect again"))
                    }
                }
                for try await message in inbound.messages(maxSize: configuration.maxFrameBytes) {
                    guard case .text(let text) = message else {
                        await session.send(.error(code: "malformed", message: "frames must be text (JSON)"))
                        continue
                    }
                    await handle(text, from: session)
                }
                await session.close()
            } catch InboxService.ConnectError.notServedHere {
                await session.close(with: .reconnect)
            } catch {
                logger.debug("session ended", metadata: ["user": "\(user)", "error": "\(error)"])
                await session.close(with: .error(code: "unavailable", message: "the session failed; connect again"))
            }
        }
        await registry.remove(session)
    }

    private func handle(_ text: String, from session: DeviceSession) async {
        session.touch()
        do {
            switch try ClientFrame.decode(text) {
            case .send(let id, let target, let body, let media):
                ChatMetrics.received()
                try await send(id: id, to: target, body: body, media: media, from: session)
            case .ack(let upTo):
                await session.acknowledged(upTo: upTo)
            case .read(let conv, let upTo):
                guard upTo > 0 else { throw ClientFrame.Invalid(code: "invalid_request", message: "up_to must be a positive seq") }
                await session.read(conv: conv, upTo: upTo)
            case .typing(let conv):
                try await typing(in: conv, from: session)
            case .ping:
                await session.send(.pong)
            }
        } catch let invalid as ClientFrame.Invalid {
            await session.send(.error(code: invalid.code, message: invalid.message, ref: invalid.ref))
        } catch let error as ChatError {
            await session.send(.error(code: error.code, message: error.message))
        } catch {
            logger.warning("request failed", metadata: ["user": "\(session.user)", "error": "\(error)"])
            await session.send(.error(code: "unavailable", message: "the request could not be stored; try again"))
        }
    }

    /// Records the device's acks (cursor and delivered markers), then its reads, until none
    /// is left unrecorded.
    private func recordMarkers(of session: DeviceSession) async {
        while let (ack, reads) = await session.takeMarkers() {
            await record(ack: ack, reads: reads, of: session)
        }
    }

    private func record(ack: Int64?, reads: [(conv: String, upTo: Int64)], of session: DeviceSession) async {
        do {
            if let ack { try await inbox.acknowledge(user: session.user, device: session.device, upTo: ack) }
            try await writer.append(reads.map { read in
                writer.record(MessagesRead(conv: read.conv, user: session.user, upTo: read.upTo, ts: EventTime.now()), role: .conversations, key: read.conv)
            })
        } catch {
            logger.warning("could not record acks or reads", metadata: ["user": "\(session.user)", "error": "\(error)"])
            await session.send(.error(code: "unavailable", message: "the ack or read could not be stored; send it again"))
        }
    }

    /// Appends the message; `sent` follows from the conversation processor once it has a seq.
    private func send(id: String, to target: ClientFrame.Target, body: String?, media: [String], from session: DeviceSession) async throws {
        func refuse(_ code: String, _ message: String) -> ClientFrame.Invalid {
            ClientFrame.Invalid(code: code, message: message, ref: id)
        }
        if let body, body.utf8.count > configuration.maxMessageBytes {
            throw refuse("too_large", "the body exceeds \(configuration.maxMessageBytes) bytes")
        }
        if !media.isEmpty {
            let malformed = media.filter { !Identifiers.isMediaId($0) }
            let unknown = !malformed.isEmpty
                ? malformed
                : try await mediaIndex.database.writer.read { db in try MediaProjection.unknown(media, in: db) }
            if let bad = unknown.first { throw refuse("unknown_media", "no media \(bad) was uploaded") }
        }
        let conv: String
        let peer: String?
        switch target {
        case .user(let reference):
            guard let account = accounts.account(reference) else { throw refuse("unknown_user", "no user \(reference)") }
            conv = Identifiers.directConversation(session.user, account.userId)
            peer = account.userId
        case .group(let group):
            conv = group
            peer = nil
        }
        let event = MessageSent(
            conv: conv, from: session.user, device: session.device, clientId: id, peer: peer, body: body,
            media: media.isEmpty ? nil : media, ts: EventTime.now()
        )
        do {
            // Handed over in order without waiting, so a device can have many messages in
            // flight; `sent` comes once the processor sequenced it.
            session.confirmLater(ref: id, try await writer.enqueue(writer.record(event, role: .conversations, key: conv)))
        } catch {
            throw refuse("unavailable", "the message could not be stored; send it again with the same id")
        }
    }

    /// Relays typing through `chat.ephemeral`, at most once per user and conversation per
    /// throttle window, and only from members.
    private func typing(in conv: String, from session: DeviceSession) async throws {
        let key = "\(session.user) \(conv)"
        let now = ContinuousClock.now
        let due = typingThrottle.withLock { sent in
            guard sent[key].map({ now - $0 >= configuration.typingThrottle }) ?? true else { return false }
            sent[key] = now
            if sent.count > 10_000 { sent = sent.filter { now - $0.value < configuration.typingThrottle } }
            return true
        }
        guard due else { return }
        let member = try await conversations.database.writer.read { db in
            try ConversationQueries.isMember(session.user, of: conv, in: db)
        }
        guard member else { throw ClientFrame.Invalid(code: "forbidden", message: "not a member of \(conv)") }
        try await writer.append(TypingNotice(conv: conv, from: session.user, ts: EventTime.now()), role: .ephemeral, key: conv)
    }
}
