import ArgumentParser
import Foundation
import Gateway
import Logging
import Producers

/// Options shared by the commands that run chat services.
struct ChatOptions: ParsableArguments {
    @Option(help: "The topic definitions (env CHAT_TOPICS; default: kafka/topics.json, found from the working directory or the binary).")
    var topics: String?

    @Option(name: .customLong("log-level"), help: "Log level (env CHAT_LOG_LEVEL; default: info for services, error for the audit, replay and verify tools, whose output is their report).")
    var explicitLogLevel: Logger.Level?

    /// The level asked for, else the command's own default.
    func logLevel(default fallback: Logger.Level = .info) -> Logger.Level {
        .chosen(explicitLogLevel, default: fallback)
    }

    func catalog() throws -> TopicCatalog {
        try TopicCatalog.locate(explicit: topics)
    }
}

/// Options of the HTTP and WebSocket server.
struct HTTPOptions: ParsableArguments {
    @Option(help: "Address of the HTTP and WebSocket server, HOST:PORT (env CHAT_HTTP).")
    var http = Environment.value("CHAT_HTTP") ?? "127.0.0.1:8080"

    @Option(help: "The URL clients use for this node, e.g. http://10.0.0.5:8080 (default: from --http).")
    var advertise: String?

    @Option(help: "File holding the secret that signs session tokens; every gateway of a deployment needs the same (default: DATA/token.secret, created if missing). CHAT_TOKEN_SECRET (hex) overrides it.")
    var tokenSecretFile: String?

    @Option(help: "PBKDF2 iterations for new password hashes.")
    var passwordIterations = 100_000

    @Option(help: "Serve the web client from this directory instead of the built-in copy.")
    var webRoot: String?

    @Option(help: "The largest media upload, in bytes.")
    var mediaLimit: Int64 = 16 << 20

    @Option(help: "Where uploaded media are stored (default: CHAT_MEDIA_DIRECTORY, else DATA/gateway/media). Gateways of one deployment share one, e.g. on a network file system.")
    var mediaDirectory: String?

    @Option(help: "Seconds without any frame from a client before its session is closed and, if it was the user's last, the user goes offline.")
    var presenceTimeout = 60.0

    @Option(help: "Frames that may wait for a client that does not read before its session is closed (at least 100).")
    var maxQueuedFrames = 10_000

    func validate() throws {
        guard maxQueuedFrames >= 100 else { throw ValidationError("--max-queued-frames must be at least 100, not \(maxQueuedFrames)") }
    }

    func configuration(data: DataLayout) throws -> GatewayConfiguration {
        let secret: Data
        if let hex = Environment.value("CHAT_TOKEN_SECRET") {
            guard let decoded = Data(hex: hex), decoded.count >= 16 else {
                throw ValidationError("CHAT_TOKEN_SECRET must be at least 32 hexadecimal characters")
            }
            secret = decoded
        } else {
            secret = try SessionTokens.loadOrCreateSecret(at: tokenSecretFile ?? data.tokenSecret)
        }
        var configuration = GatewayConfiguration(dataDirectory: data.gateway, tokenSecret: secret)
        (configuration.host, configuration.port) = try HostAndPort.parse(http, option: "--http")
        configuration.advertisedAddress = advertise
        configuration.passwords = Passwords(iterations: passwordIterations)
        configuration.presenceTimeout = .milliseconds(Int64(presenceTimeout * 1000))
        configuration.webDirectory = webRoot
        configuration.maxMediaBytes = mediaLimit
        configuration.mediaDirectory = mediaDirectory ?? Environment.value("CHAT_MEDIA_DIRECTORY")
        configuration.maxQueuedFrames = maxQueuedFrames
        return configuration
    }
}

extension Data {
    init?(hex: String) {
        guard hex.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2, limitedBy: hex.endIndex) ?? hex.endIndex
            guard let byte = UInt8(hex[index..<next], radix: 16) else { return nil }
            bytes.append(byte)
            index = next
        }
        self.init(bytes)
    }
}
