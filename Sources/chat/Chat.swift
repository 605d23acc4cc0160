import ArgumentParser

@main
struct Chat: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chat",
        abstract: "A WhatsApp-style chat backend, event-sourced on Kafka.",
        discussion: """
            Environment: CHAT_DATA, CHAT_KAFKA, CHAT_HTTP, CHAT_TOPICS, CHAT_LOG_LEVEL stand in for \
            --data, --kafka, --http, --topics and --log-level; CHAT_TOKEN_SECRET (hex) is the secret \
            every gateway of a deployment shares; CHAT_MEDIA_DIRECTORY the media store they share; \
            CHAT_SERVER, CHAT_PROFILE and CHAT_PASSWORD serve `chat client`. Logs go to stderr. \
            SIGTERM or SIGINT stops a server cleanly: it stops accepting, closes sessions, flushes \
            producers, leaves its consumer groups and closes the log.
            """,
        subcommands: [
            ServeCommand.self, GatewayCommand.self, WorkerCommand.self, BrokerCommand.self, ClientCommand.self,
            TopicsCommand.self, GroupsCommand.self, ReplayCommand.self, VerifyCommand.self, AuditCommand.self,
        ]
    )
}
