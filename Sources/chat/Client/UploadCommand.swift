import ArgumentParser
import ChatClient

/// `chat client upload FILE`: stores a file as media and prints its id, for `send --media`.
struct UploadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "upload",
        abstract: "Upload a file as media and print its id (the SHA-256 of its bytes)."
    )

    @OptionGroup var client: ClientOptions

    @Option(name: .customLong("type"), help: ArgumentHelp("The content type (default: from the file's extension).", valueName: "content-type"))
    var contentType: String?

    @Argument(help: "The file to upload.")
    var file: String

    func run() async throws {
        try await ClientFailure.reporting {
            let session = try client.session()
            let answer = try await MediaUpload.upload(file, contentType: contentType, session: session)
            Console.line(answer["media_id"]?.string ?? "")
        }
    }
}
