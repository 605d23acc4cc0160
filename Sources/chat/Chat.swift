import ArgumentParser

@main
struct Chat: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chat",
        abstract: "A WhatsApp-style chat backend, event-sourced on Kafka.",
        subcommands: [BrokerCommand.self, GroupsCommand.self]
    )
}
