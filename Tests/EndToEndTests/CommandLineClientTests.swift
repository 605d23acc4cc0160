import ChatClient
import Foundation
import Testing
import TestSupport

/// `chat client` as a user scripts it: the real binary as child processes against the real
/// server, each user with a profile file of its own.
@Suite(.timeLimit(.minutes(5)))
struct CommandLineClientTests {
    @Test func registerSendListenAndHistory() async throws {
        let server = try await SharedServer.get()
        let directory = try TemporaryDirectory(prefix: "chat-cli")
        let alice = CommandLineUser(server: server, directory: directory, name: "alice")
        let bob = CommandLineUser(server: server, directory: directory, name: "bob")
        let aliceId = try await alice.register()
        let bobId = try await bob.register()
        #expect(aliceId.hasPrefix("u") && bobId.hasPrefix("u") && aliceId != bobId)

        // The profile holds the session, and only its owner may read it.
        let attributes = try FileManager.default.attributesOfItem(atPath: alice.profile)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        let saved = try JSONValue(parsing: Data(contentsOf: URL(fileURLWithPath: alice.profile)))
        #expect(saved["user_id"]?.string == aliceId)
        #expect(saved["username"]?.string == alice.username)
        #expect(saved["device"]?.string == "cli")
        #expect(saved["token"]?.string?.isEmpty == false)

        let listen = try bob.start("listen", ["--json", "--count", "2"])
        let first = try await alice.send(["--to", bob.username, "hello", "bob"])
        #expect(first.seq == "1")
        let second = try await alice.send(["--to", bob.username, "second message"])
        #expect(second.seq == "2")
        #expect(second.conv == first.conv)
        #expect(first.conv == "d-" + [aliceId, bobId].sorted().joined(separator: "-"))

        // The listener stops by itself after two messages, having printed exactly those.
        let heard = try await listen.wait(timeout: .seconds(120))
        #expect(heard.status == 0, "listen failed: \(heard.stderr)")
        let messages = heard.stdout.split(separator: "\n").compactMap { try? JSONValue(parsing: String($0)) }
            .filter { $0["type"]?.string == "message" }
        #expect(messages.map { $0["body"]?.string } == ["hello bob", "second message"])
        #expect(messages.map { $0["from"]?.string } == [aliceId, aliceId])
        #expect(messages.map { $0["seq"]?.int } == [1, 2])
        #expect(messages.map { $0["conv"]?.string } == [first.conv, first.conv])
        #expect(messages.map { $0["msg_id"]?.string } == [first.msgId, second.msgId])
        #expect(messages.allSatisfy { $0["dseq"]?.int != nil })

        // A reply to the conversation id, as `sent` printed it.
        let reply = try await bob.send(["--conv", first.conv, "hi alice"])
        #expect(reply.conv == first.conv)
        #expect(reply.seq == "3")

        let history = try await bob.run("history", ["--conv", first.conv])
        #expect(history.status == 0, "history failed: \(history.stderr)")
        let lines = history.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 3, "history: \(history.stdout)")
        if lines.count == 3 {
            #expect(lines[0].hasPrefix("[") && lines[0].hasSuffix("\(alice.username) → \(first.conv) #1: hello bob"))
            #expect(lines[1].hasPrefix("[") && lines[1].hasSuffix("\(alice.username) → \(first.conv) #2: second message"))
            #expect(lines[2].hasPrefix("[") && lines[2].hasSuffix("\(bob.username) → \(first.conv) #3: hi alice"))
        }
        let page = try await alice.run("history", ["--conv", first.conv, "--json", "--before", "3", "--limit", "2"])
        let paged = page.stdout.split(separator: "\n").compactMap { try? JSONValue(parsing: String($0)) }
        #expect(paged.map { $0["seq"]?.int } == [1, 2], "oldest first")
        #expect(paged.map { $0["body"]?.string } == ["hello bob", "second message"])
    }

    @Test func uploadPrintsTheSHA256AndSendAttachesIt() async throws {
        let server = try await SharedServer.get()
        let directory = try TemporaryDirectory(prefix: "chat-cli")
        let alice = CommandLineUser(server: server, directory: directory, name: "alice")
        let bob = CommandLineUser(server: server, directory: directory, name: "bob")
        _ = try await alice.register()
        _ = try await bob.register()
        // Several of the client's 64 KiB pieces, and not a multiple of one.
        let file = directory.child("photo.jpg")
        var random = SplitMix64(seed: 300_007)
        try Data(random.bytes(count: 300_007)).write(to: URL(fileURLWithPath: file))

        let upload = try await alice.run("upload", [file, "--type", "image/jpeg"])
        #expect(upload.status == 0, "upload failed: \(upload.stderr)")
        let mediaId = upload.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(mediaId.count == 64 && mediaId.allSatisfy { $0.isHexDigit && !$0.isUppercase })
        let digest = try await ChildProcess.run("sha256sum", [file]).stdout.split(separator: " ").first.map(String.init)
        #expect(mediaId == digest)

        let sent = try await alice.send(["--to", bob.username, "--media", file, "a photo"])
        let history = try await bob.run("history", ["--conv", sent.conv, "--json"])
        let message = try #require(history.stdout.split(separator: "\n").first.flatMap { try? JSONValue(parsing: String($0)) })
        #expect(message["media"]?.array?.compactMap(\.string) == [mediaId])
        #expect(message["body"]?.string == "a photo")
    }

    @Test func failuresPrintTheProtocolsCodeAndExitWithOne() async throws {
        let server = try await SharedServer.get()
        let directory = try TemporaryDirectory(prefix: "chat-cli")
        let alice = CommandLineUser(server: server, directory: directory, name: "alice")
        _ = try await alice.register()

        let wrongPassword = try await alice.run("login", ["--username", alice.username, "--password", "not-the-password"])
        #expect(wrongPassword.status == 1)
        #expect(wrongPassword.stderr == "error: invalid_credentials: unknown username or wrong password\n")

        let nobody = SharedServer.name("nobody")
        let unknownUser = try await alice.run("send", ["--to", nobody, "anyone there?"])
        #expect(unknownUser.status == 1)
        #expect(unknownUser.stderr == "error: unknown_user: no user \(nobody)\n")
        #expect(unknownUser.stdout.isEmpty)

        let taken = try await alice.run("register", ["--username", alice.username, "--password", "password1"])
        #expect(taken.status == 1)
        #expect(taken.stderr == "error: username_taken: that username is taken\n")

        // Nothing listens on a fresh free port.
        let unreachable = "http://127.0.0.1:\(try LoopbackPorts.take())"
        let nowhere = try await ChildProcess(try ChatBinary.path, [
            "client", "history", "--server", unreachable, "--profile", alice.profile,
            "--conv", "d-a-b",
        ]).wait(timeout: .seconds(120))
        #expect(nowhere.status == 1)
        #expect(nowhere.stderr == "error: connection_failed: cannot reach \(unreachable): connection refused\n")

        let noProfile = try await CommandLineUser(server: server, directory: directory, name: "carol").run("history", ["--conv", "x"])
        #expect(noProfile.status == 1)
        #expect(noProfile.stderr.contains("error: not_logged_in: "), "stderr: \(noProfile.stderr)")
    }

    @Test func listenPrintsReadableLinesAndStopsOnSIGTERM() async throws {
        let server = try await SharedServer.get()
        let directory = try TemporaryDirectory(prefix: "chat-cli")
        let alice = CommandLineUser(server: server, directory: directory, name: "alice")
        let carol = CommandLineUser(server: server, directory: directory, name: "carol")
        _ = try await alice.register()
        _ = try await carol.register()

        let listen = try carol.start("listen", ["--count", "1"])
        let sent = try await alice.send(["--to", carol.username, "hi carol, in words"])
        let heard = try await listen.wait(timeout: .seconds(120))
        #expect(heard.status == 0, "listen failed: \(heard.stderr)")
        let line = heard.stdout.split(separator: "\n").first { $0.contains("hi carol, in words") }.map(String.init)
        #expect(line?.contains("\(alice.username) → \(sent.conv) #1: hi carol, in words") == true, "stdout: \(heard.stdout)")
        #expect(line?.hasPrefix("[") == true, "starts with the time: \(line ?? "")")

        // Without --count it listens until stopped, and a signal ends it cleanly.
        let open = try carol.start("listen", [])
        #expect(await eventually(timeout: .seconds(60)) { open.output.stderr.contains("listen: connected") })
        // Once a newer message has been printed, anything owed before it would have been too.
        _ = try await alice.send(["--to", carol.username, "one more"])
        #expect(await eventually(timeout: .seconds(60)) { open.output.stdout.contains("one more") })
        open.kill(SIGTERM)
        let stopped = try await open.wait(timeout: .seconds(60))
        #expect(stopped.status == 0, "stderr: \(stopped.stderr)")
        // The message was acknowledged by the first listener, so it is not shown again.
        #expect(!stopped.stdout.contains("hi carol, in words"))
    }
}

/// One user of the command-line client: a profile file in the test's directory, and the
/// `chat client` subcommands run with it against the test server.
struct CommandLineUser {
    let server: ChatServer
    let profile: String
    let username: String
    static let password = "password1"

    init(server: ChatServer, directory: TemporaryDirectory, name: String) {
        self.server = server
        username = SharedServer.name(name)
        profile = directory.child("\(username).json")
    }

    func arguments(_ subcommand: String, _ arguments: [String]) -> [String] {
        ["client", subcommand, "--server", "http://127.0.0.1:\(server.httpPort)", "--profile", profile] + arguments
    }

    /// Starts a subcommand in the background.
    func start(_ subcommand: String, _ arguments: [String]) throws -> ChildProcess {
        try ChildProcess(try ChatBinary.path, self.arguments(subcommand, arguments))
    }

    /// Runs a subcommand to its end, whatever its exit status.
    func run(_ subcommand: String, _ arguments: [String] = []) async throws -> ChildProcess.Output {
        try await start(subcommand, arguments).wait(timeout: .seconds(120))
    }

    /// `register`, which must succeed; returns the user id it prints.
    func register() async throws -> String {
        let output = try await run("register", ["--username", username, "--password", Self.password])
        guard output.status == 0 else {
            throw ChildProcess.Failure(description: "register \(username) exited with \(output.status): \(output.stderr)")
        }
        return output.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// `send`, which must succeed; returns what its `sent CONV SEQ MSG_ID` line says.
    func send(_ arguments: [String]) async throws -> (conv: String, seq: String, msgId: String) {
        let output = try await run("send", arguments)
        let fields = output.stdout.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: " ").map(String.init)
        guard output.status == 0, fields.count == 4, fields[0] == "sent" else {
            throw ChildProcess.Failure(description: "send \(arguments) exited with \(output.status): \(output.stdout) \(output.stderr)")
        }
        return (fields[1], fields[2], fields[3])
    }
}
