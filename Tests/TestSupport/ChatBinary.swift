import ChatClient
import Foundation

/// Where the `chat` executable built with the tests is: next to the test bundle, or
/// `CHAT_BINARY` when set.
public enum ChatBinary {
    public static var path: String {
        get throws {
            if let path = ProcessInfo.processInfo.environment["CHAT_BINARY"] { return path }
            var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            for _ in 0..<4 {
                let candidate = directory.appendingPathComponent("chat").path
                if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
                directory.deleteLastPathComponent()
            }
            throw ChildProcess.Failure(description: "the chat executable was not found; build it with `swift build` first")
        }
    }

    /// Waits until something accepts TCP connections on `port`.
    public static func waitForPort(_ port: Int, timeout: Duration = .seconds(30)) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let fd = connectLoopback(port: port) {
                close(fd)
                return
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw ChildProcess.Failure(description: "nothing listens on port \(port) after \(timeout)")
    }

    /// Starts `chat broker` on `data` and `port` (a free loopback port if nil), and waits until
    /// it accepts connections.
    public static func startBroker(
        data: String, port: Int? = nil, arguments: [String] = [], environment: [String: String] = [:]
    ) async throws -> (process: ChildProcess, port: Int) {
        let port = try port ?? LoopbackPorts.take()
        let process = try ChildProcess(
            try path, ["broker", "--data", data, "--listen", "127.0.0.1:\(port)"] + arguments, environment: environment
        )
        try await waitForPort(port)
        return (process, port)
    }

    /// A TCP connection to 127.0.0.1:`port` as a file descriptor (the caller closes it), or nil.
    public static func connectLoopback(port: Int) -> Int32? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        let connected = LoopbackPorts.withAddress(port: port) { connect(fd, $0, $1) == 0 }
        guard connected else {
            close(fd)
            return nil
        }
        return fd
    }

    /// Waits until the `chat` process answers `/healthz` on `port`; fails at once if it exits.
    public static func waitUntilHealthy(_ process: ChildProcess, port: Int, name: String, timeout: Duration = .seconds(60)) async throws {
        let http = HTTPClient(host: "127.0.0.1", port: port)
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            guard process.isRunning else { throw ChildProcess.Failure(description: "\(name) exited: \(process.output.stderr)") }
            if let result = try? await http.request("GET", "/healthz"), result.status == 200 { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw ChildProcess.Failure(description: "\(name) did not become healthy: \(process.output.stderr)")
    }
}
