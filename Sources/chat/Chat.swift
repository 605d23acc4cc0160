import ArgumentParser

@main
struct Chat: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chat",
        abstract: "A WhatsApp-style chat backend, event-sourced on Kafka.",
        subcommands: [
            ServeCommand.self, GatewayCommand.self, WorkerCommand.self, BrokerCommand.self, ClientCommand.self,
            TopicsCommand.self, GroupsCommand.self, ReplayCommand.self, VerifyCommand.self, AuditCommand.self,
        ]
    )
}
