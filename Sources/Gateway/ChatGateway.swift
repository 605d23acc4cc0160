import Consumers
import Foundation
import GRDB
import Hummingbird
import HummingbirdWebSocket
import Kafka
import Logging
import NIOCore
import Producers
import Projections

/// A gateway node: the protocol's HTTP endpoints and WebSocket sessions, in front of the log.
///
/// It appends what clients do to Kafka, keeps its own read models of accounts and
/// conversations (every node reads every partition of those topics), and serves the devices
/// of the users whose inbox partitions the gateways' consumer group gave it.
public final class ChatGateway: Sendable {
    let configuration: GatewayConfiguration
    let catalog: TopicCatalog
    let writer: EventWriter
    let accounts: AccountsDirectory
    let conversations: ConversationReadModel
    let mediaIndex: MediaReadModel
    let media: MediaStore
    let inbox: InboxService
    let registry: ConnectionRegistry
    let presence: PresenceDirectory
    let directory: GatewayDirectory
    let typingThrottle = Locked<[String: ContinuousClock.Instant]>([:])
    let tokens: SessionTokens
    let logger: Logger
    private let boundPort = Locked<Int?>(nil)
    private let advertised = Locked<String?>(nil)

    let kafkaConfiguration: KafkaConfiguration

    public init(configuration: GatewayConfiguration, kafka: KafkaConfiguration, catalog: TopicCatalog, logger: Logger) throws {
        self.configuration = configuration
        self.kafkaConfiguration = kafka
        self.catalog = catalog
        self.logger = logger
        writer = try EventWriter(kafka: kafka, catalog: catalog, logger: logger)
        let readModels = try ChatDatabase(path: configuration.databasePath(.readModels), store: .readModels)
        let deliveryQueue = try ChatDatabase(path: configuration.databasePath(.deliveryQueue), store: .deliveryQueue)
        accounts = AccountsDirectory(kafka: kafka, catalog: catalog, logger: logger)
        conversations = ConversationReadModel(database: readModels, kafka: kafka, catalog: catalog, logger: logger)
        mediaIndex = MediaReadModel(database: readModels, kafka: kafka, catalog: catalog, logger: logger)
        media = MediaStore(root: configuration.mediaDirectory ?? "\(configuration.dataDirectory)/media", limit: configuration.maxMediaBytes)
        presence = PresenceDirectory(kafka: kafka, catalog: catalog, logger: logger)
        registry = ConnectionRegistry(catalog: catalog, throttle: configuration.presenceThrottle) { [writer, catalog, logger] user, online in
            let now = EventTime.now()
            do {
                try await writer.append(
                    PresenceChanged(user: user, online: online, lastSeen: now, ts: now), role: .presence, key: user,
                    partition: catalog.userPartition(user)
                )
            } catch {
                logger.warning("could not publish presence", metadata: ["user": "\(user)", "error": "\(error)"])
            }
        }
        ChatMetrics.prepare()
        tokens = SessionTokens(secret: configuration.tokenSecret)
        let address = configuration.advertisedAddress ?? "http://\(configuration.host):\(configuration.port)"
        let inboxSettings = InboxService.Settings(nodeAddress: address)
        inbox = InboxService(
            kafka: kafka, catalog: catalog, database: deliveryQueue, writer: writer, settings: inboxSettings, sink: registry,
            logger: logger
        )
        directory = try GatewayDirectory(kafka: kafka, group: inboxSettings.groupId, topic: catalog[.inbox].name, logger: logger)
        advertised.withLock { $0 = address }
    }

    /// The port the HTTP server bound, once it runs.
    public var port: Int? { boundPort.value }

    /// Ready to take traffic: the HTTP server runs and this node serves inbox partitions.
    public var isReady: Bool { port != nil && !inbox.servedPartitions.isEmpty }

    /// Runs the read models, the inbox service and the HTTP server until cancelled.
    public func run() async throws {
        let application = Application(
            router: httpRouter(),
            server: .http1WebSocketUpgrade(
                webSocketRouter: webSocketRouter(),
                // No WebSocket pings from the server: sessions that stay silent past the
                // presence timeout are closed by `closeIdleSessions`, and a pinging task per
                // connection would cost each idle connection a task and a timer.
                configuration: .init(ws: .init(maxFrameSize: configuration.maxFrameBytes, autoPing: .disabled))
            ),
            configuration: ApplicationConfiguration(address: .hostname(configuration.host, port: configuration.port)),
            onServerRunning: { [boundPort, logger] channel in
                boundPort.withLock { $0 = channel.localAddress?.port }
                logger.info("gateway listening", metadata: ["address": "\(channel.localAddress?.description ?? "?")"])
            },
            logger: logger
        )
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { try await self.accounts.run() }
            group.addTask { try await self.conversations.run() }
            group.addTask { try await self.mediaIndex.run() }
            group.addTask { try await self.inbox.run() }
            group.addTask { try await self.presence.run { change in await self.presenceChanged(change) } }
            group.addTask { try await TypingFeed(kafka: self.kafkaConfiguration, catalog: self.catalog, logger: self.logger).run { await self.relay($0) } }
            group.addTask {
                while !Task.isCancelled {
                    try await Task.sleep(for: .seconds(1))
                    await self.registry.closeIdleSessions(timeout: self.configuration.presenceTimeout)
                }
            }
            group.addTask { try await application.run() }
        }
        await writer.close()
        await directory.close()
    }

    /// The address of the node that serves `user`'s devices (this one, if it does).
    func node(serving user: String) async -> String? {
        inbox.serves(user: user) ? nodeAddress : await directory.owner(of: catalog.userPartition(user))
    }

    // MARK: - Routers

    private func httpRouter() -> Router<ChatRequestContext> {
        let router = Router(context: ChatRequestContext.self)
        // The web client: static files shipped in the module's resources (or a directory
        // given in the configuration, to work on them without rebuilding).
        if let web = configuration.webDirectory ?? Bundle.module.resourceURL?.appendingPathComponent("Web").path {
            router.add(middleware: FileMiddleware(web, searchForIndexHtml: true, logger: logger))
        }
        router.get("/healthz") { [self] _, _ -> Response in
            isReady
                ? Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: "ok")))
                : ChatError.unavailable("starting: waiting for the log and the inbox partitions").response
        }
        if let metrics = configuration.metrics {
            router.get("/metrics") { _, _ -> Response in
                Response(
                    status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                    body: .init(byteBuffer: ByteBuffer(string: await metrics.scrape()))
                )
            }
        }
        addUserRoutes(to: router)
        addGroupRoutes(to: router)
        addConversationRoutes(to: router)
        addMediaRoutes(to: router)
        addWebSocketRefusalRoute(to: router)
        return router
    }

    private func webSocketRouter() -> Router<ChatRequestContext> {
        let router = Router(context: ChatRequestContext.self)
        addWebSocketRoute(to: router)
        return router
    }

    // MARK: - Presence and typing

    /// Tells this node's connected users who share a conversation with the user.
    private func presenceChanged(_ change: PresenceChanged) async {
        guard let contacts = try? await conversations.database.writer.read({ db in
            try ConversationQueries.contacts(of: change.user, in: db)
        }) else { return }
        var frame = ServerFrame(type: "presence")
        frame.user = change.user
        frame.online = change.online
        frame.lastSeen = change.lastSeen
        await registry.push(frame, to: contacts)
    }

    /// Relays a typing notice to this node's connected members of the conversation.
    private func relay(_ notice: TypingNotice) async {
        guard let members = try? await conversations.database.writer.read({ db in
            try ConversationQueries.members(of: notice.conv, in: db).map(\.user)
        }) else { return }
        var frame = ServerFrame(type: "typing")
        frame.conv = notice.conv
        frame.from = notice.from
        await registry.push(frame, to: members.filter { $0 != notice.from })
    }

    // MARK: - Shared helpers

    /// The caller's verified identity, or 401.
    func identity(_ request: Request) throws -> SessionTokens.Claims {
        guard let token = bearerToken(request), let claims = tokens.verify(token) else { throw ChatError.unauthorized }
        return claims
    }

    /// A user by id or username, or 404 `unknown_user`.
    func user(_ reference: String) throws -> AccountsState.Account {
        guard let account = accounts.account(reference) else { throw ChatError.unknownUser(reference) }
        return account
    }

    var nodeAddress: String { advertised.value ?? "" }
}
