import Foundation

/// Progress of a long run on stderr: a bar redrawn in place on a terminal, a plain line every
/// few seconds otherwise (a log file or CI wants lines, not carriage returns).
final class ProgressReport: @unchecked Sendable {
    private let label: String
    private let interactive = isatty(STDERR_FILENO) == 1
    private let started = ContinuousClock.now
    private var lastPrinted = ContinuousClock.now - .seconds(60)
    private let lock = NSLock()

    init(label: String) {
        self.label = label
    }

    /// Records `done` of `total`; prints at most 10 times a second (every 5 s when plain).
    func update(done: Int64, total: Int64) {
        lock.withLock {
            let now = ContinuousClock.now
            guard now - lastPrinted >= (interactive ? .milliseconds(100) : .seconds(5)) else { return }
            lastPrinted = now
            write(line(done: done, total: total), final: false)
        }
    }

    /// Prints the final figures: everything there was to do is done.
    func finish(done: Int64) {
        lock.withLock { write(line(done: done, total: done), final: true) }
    }

    /// Seconds since the report started.
    var elapsed: Double { Self.seconds(ContinuousClock.now - started) }

    private func line(done: Int64, total: Int64) -> String {
        let seconds = max(elapsed, 0.001)
        let rate = Double(done) / seconds
        let fraction = total > 0 ? min(1, Double(done) / Double(total)) : 1
        let left = rate > 0 ? Double(max(0, total - done)) / rate : 0
        let figures = "\(done)/\(total) events  \(Int(rate)) events/s  \(Self.clock(left)) left"
        guard interactive else { return "\(label): \(Int(fraction * 100))%  \(figures)" }
        let width = 30
        let filled = Int(fraction * Double(width))
        return "\(label) [\(String(repeating: "#", count: filled))\(String(repeating: ".", count: width - filled))] \(Int(fraction * 100))%  \(figures)"
    }

    private func write(_ line: String, final: Bool) {
        let text = interactive ? "\r\u{1B}[2K\(line)\(final ? "\n" : "")" : "\(line)\n"
        FileHandle.standardError.write(Data(text.utf8))
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    private static func clock(_ seconds: Double) -> String {
        let whole = Int(seconds.rounded(.up))
        return String(format: "%d:%02d", whole / 60, whole % 60)
    }
}
