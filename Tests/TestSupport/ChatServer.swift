import ChatClient
import Foundation

/// `chat serve` as a child process on free loopback ports with a fresh data directory: the
/// real system, as a user runs it.
public final class ChatServer: Sendable {
    public let directory: TemporaryDirectory
    public let httpPort: Int
    public let kafkaPort: Int
    private let process: Locked<ChildProcess?>

    public var http: HTTPClient { HTTPClient(host: "127.0.0.1", port: httpPort) }
    public var bootstrap: String { "127.0.0.1:\(kafkaPort)" }
    public var pid: Int32? { process.value?.pid }
    /// What the running server has printed so far.
    public var output: (stdout: String, stderr: String)? { process.value?.output }

    public static func start(extraArguments: [String] = []) async throws -> ChatServer {
        let server = ChatServer(directory: try TemporaryDirectory(prefix: "chat-e2e"), httpPort: try LoopbackPorts.take(), kafkaPort: try LoopbackPorts.take())
        try await server.launch(extraArguments: extraArguments)
        return server
    }

    private init(directory: TemporaryDirectory, httpPort: Int, kafkaPort: Int) {
        self.directory = directory
        self.httpPort = httpPort
        self.kafkaPort = kafkaPort
        self.process = Locked(nil)
    }

    /// Starts (or restarts) the server on the same ports and data, and waits until healthy.
    public func launch(extraArguments: [String] = []) async throws {
        let child = try ChildProcess(try ChatBinary.path, [
            "serve", "--data", directory.child("data"), "--kafka", bootstrap, "--http", "127.0.0.1:\(httpPort)",
            "--password-iterations", "1000", "--log-level", ProcessInfo.processInfo.environment["CHAT_TEST_LOG"] ?? "warning",
        ] + extraArguments)
        process.withLock { $0 = child }
        try await ChatBinary.waitUntilHealthy(child, port: httpPort, name: "chat serve")
    }

    /// Sends `signal` and waits for the process to end.
    @discardableResult
    public func stop(signal: Int32 = SIGTERM) async throws -> ChildProcess.Output? {
        guard let child = process.withLock({ $0 }) else { return nil }
        child.kill(signal)
        let output = try await child.wait(timeout: .seconds(60))
        process.withLock { $0 = nil }
        return output
    }

    deinit {
        process.value?.kill(SIGKILL)
    }

    // MARK: - Users

    /// Registers `username` (password "password1") and returns a logged-in device.
    public func user(_ username: String, device: String = "phone") async throws -> TestUser {
        try await TestUser.register(username, on: http, device: device)
    }
}

/// A registered user with tokens for its devices. It logs in on one gateway and connects its
/// devices to the node that the session names as serving them (the same one, unless the
/// gateways are scaled out).
public final class TestUser: Sendable {
    public let id: String
    public let username: String
    /// Where this user's HTTP requests go.
    public let entry: HTTPClient
    private let tokens = Locked<[String: String]>([:])
    private let servingNode = Locked<HTTPClient?>(nil)

    /// Registers `username` (password "password1") through `entry` and logs `device` in.
    public static func register(_ username: String, on entry: HTTPClient, device: String = "phone") async throws -> TestUser {
        let registered = try await entry.json("POST", "/v1/users", ["username": username, "password": "password1"])
        guard registered.status == 201, let id = registered.json?["user_id"]?.string else {
            throw ChildProcess.Failure(description: "registering \(username) failed: \(registered.status) \(String(decoding: registered.body, as: UTF8.self))")
        }
        let user = TestUser(entry: entry, id: id, username: username)
        try await user.login(device: device)
        return user
    }

    init(entry: HTTPClient, id: String, username: String) {
        self.entry = entry
        self.id = id
        self.username = username
    }

    /// Logs `device` in, and remembers which node serves this user's devices.
    @discardableResult
    public func login(device: String) async throws -> String {
        let session = try await entry.json(
            "POST", "/v1/sessions", ["username": username, "password": "password1", "device": device]
        )
        guard session.status == 201, let token = session.json?["token"]?.string else {
            throw ChildProcess.Failure(description: "login of \(username) failed: \(session.status)")
        }
        tokens.withLock { $0[device] = token }
        servingNode.withLock { $0 = session.json?["node"]?.string.flatMap(HTTPClient.init(url:)) }
        return token
    }

    public func token(_ device: String = "phone") -> String { tokens.value[device] ?? "" }

    /// The node this user's devices connect to, as the last login said.
    public var node: HTTPClient { servingNode.value ?? entry }

    /// Connects a device (logging it in first if needed).
    public func connect(device: String = "phone") async throws -> TestDevice {
        if tokens.value[device] == nil { try await login(device: device) }
        let socket = try await ChatSocket.connect(host: node.host, port: node.port, token: token(device))
        return TestDevice(socket: socket, user: self, device: device)
    }

    /// An authenticated HTTP request.
    public func http(_ method: String, _ path: String, _ body: [String: Any]? = nil, device: String = "phone") async throws -> HTTPResult {
        try await entry.json(method, path, body, token: token(device))
    }
}
