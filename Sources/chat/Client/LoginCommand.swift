import ArgumentParser

/// `chat client login`: opens a session for this device, saves the profile, and prints the
/// user id.
struct LoginCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "login",
        abstract: "Log in, save the profile and print the user id."
    )

    @OptionGroup var client: ClientOptions
    @OptionGroup var credentials: Credentials

    func run() async throws {
        try await ClientFailure.reporting {
            let password = try credentials.resolvedPassword()
            let api = try client.api()
            let profile = try await credentials.login(api, password: password, profilePath: client.profilePath)
            Console.line(profile.userId)
        }
    }
}
