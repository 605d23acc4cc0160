import ArgumentParser

/// `chat client register`: creates an account, logs this device in, and prints the user id.
struct RegisterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "register",
        abstract: "Create an account, log in, save the profile and print the user id."
    )

    @OptionGroup var client: ClientOptions
    @OptionGroup var credentials: Credentials

    @Option(help: "The name others see (default: the username).")
    var displayName: String?

    func run() async throws {
        try await ClientFailure.reporting {
            let password = try credentials.resolvedPassword()
            let api = try client.api()
            var account: [String: Any] = ["username": credentials.username, "password": password]
            if let displayName { account["display_name"] = displayName }
            _ = try await api.call("POST", "/v1/users", account)
            let profile = try await credentials.login(api, password: password, profilePath: client.profilePath)
            Console.line(profile.userId)
        }
    }
}
