import ArgumentParser

/// `chat client`: the command-line client, on the same protocol as the web client, so that a
/// person or a script can chat from a shell. `register` or `login` first; the others use the
/// profile those save.
struct ClientCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "client",
        abstract: "Chat from the command line: register, log in, send, listen, read history, upload media.",
        subcommands: [
            RegisterCommand.self, LoginCommand.self, SendCommand.self, ListenCommand.self, HistoryCommand.self,
            UploadCommand.self,
        ]
    )
}
