import Foundation
import Synchronization

/// An external program run by a test (kcat, python, the `chat` binary), with its output
/// captured. Every wait has a deadline so a hung child fails the test instead of CI.
public final class ChildProcess: Sendable {
    public struct Output: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
    }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
        public init(description: String) { self.description = description }
    }

    private let process: Process
    private let stdout = Pipe()
    private let stderr = Pipe()
    private let collected = Collected()

    private final class Collected: Sendable {
        let bytes = Mutex((Data(), Data()))
        func withLock<T>(_ body: (inout (Data, Data)) -> T) -> T { bytes.withLock { body(&$0) } }
    }
    public let commandLine: String

    /// Starts `executable` (a path, or a name looked up in PATH) with `arguments`.
    public init(_ executable: String, _ arguments: [String], environment: [String: String] = [:], stdin: Data? = nil) throws {
        process = Process()
        process.executableURL = URL(fileURLWithPath: executable.contains("/") ? executable : try Self.which(executable))
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env.merge(environment) { $1 }
        process.environment = env
        process.standardOutput = stdout
        process.standardError = stderr
        commandLine = ([executable] + arguments).joined(separator: " ")
        let input = Pipe()
        process.standardInput = input
        stdout.fileHandleForReading.readabilityHandler = { [collected] handle in
            let data = handle.availableData
            collected.withLock { $0.0.append(data) }
        }
        stderr.fileHandleForReading.readabilityHandler = { [collected] handle in
            let data = handle.availableData
            collected.withLock { $0.1.append(data) }
        }
        try process.run()
        ExitCleanup.adopt(process)
        if let stdin {
            input.fileHandleForWriting.write(stdin)
        }
        try input.fileHandleForWriting.close()
    }

    public var pid: Int32 { process.processIdentifier }
    public var isRunning: Bool { process.isRunning }

    /// What the child wrote so far.
    public var output: (stdout: String, stderr: String) {
        collected.withLock { (String(decoding: $0.0, as: UTF8.self), String(decoding: $0.1, as: UTF8.self)) }
    }

    /// Waits for the child to exit, killing it after `timeout`.
    public func wait(timeout: Duration = .seconds(60)) async throws -> Output {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            if ContinuousClock.now > deadline {
                kill(SIGKILL)
                throw Failure(description: "\(commandLine) did not finish within \(timeout); output: \(output)")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        // Let the readability handlers drain the pipes.
        try await Task.sleep(for: .milliseconds(50))
        stdout.fileHandleForReading.readabilityHandler = nil
        stderr.fileHandleForReading.readabilityHandler = nil
        let rest = (stdout.fileHandleForReading.readDataToEndOfFile(), stderr.fileHandleForReading.readDataToEndOfFile())
        collected.withLock { $0.0.append(rest.0); $0.1.append(rest.1) }
        let (out, err) = output
        return Output(status: process.terminationStatus, stdout: out, stderr: err)
    }

    public func kill(_ signal: Int32) {
        if process.isRunning { Foundation.kill(process.processIdentifier, signal) }
    }

    /// Runs a command to completion and returns its output, throwing on a non-zero exit.
    @discardableResult
    public static func run(
        _ executable: String, _ arguments: [String], stdin: Data? = nil, environment: [String: String] = [:],
        timeout: Duration = .seconds(60)
    ) async throws -> Output {
        let child = try ChildProcess(executable, arguments, environment: environment, stdin: stdin)
        let output = try await child.wait(timeout: timeout)
        guard output.status == 0 else {
            throw Failure(description: "\(child.commandLine) exited with \(output.status): \(output.stderr)")
        }
        return output
    }

    static func which(_ name: String) throws -> String {
        for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw Failure(description: "\(name) is not installed (see the Makefile's dependencies)")
    }
}
