import ArgumentParser

/// `chat-bench`: the benchmarks behind docs/benchmarks.md. Each scenario starts the release
/// `chat` binary it measures as a child process, so CPU time is read from /proc for it alone.
@main
struct ChatBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chat-bench",
        abstract: "Measure the broker and the chat system; prints Markdown rows for docs/benchmarks.md.",
        subcommands: [KafkaBenchmark.self, ChatBenchmark.self, ReplayBenchmark.self]
    )
}
