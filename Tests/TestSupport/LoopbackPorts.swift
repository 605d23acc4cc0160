import Foundation

/// Loopback ports for the servers the tests start, taken from below the kernel's ephemeral
/// range. A port that the kernel hands out for `bind(0)` or for an outgoing connection could be
/// taken by another test's client between a server's stop and its restart on the same port, or
/// between choosing the port and the child process binding it; the kernel never hands out a
/// port below that range, and this process never hands out one twice.
public enum LoopbackPorts {
    private static let next = Locked(Int.random(in: 0..<span))
    private static let span = 8_000

    /// An unused loopback port that no other caller in this process gets.
    public static func take() throws -> Int {
        let first = ephemeralRangeStart - span
        for _ in 0..<span {
            let port = first + next.withLock { index in
                defer { index = (index + 1) % span }
                return index
            }
            if isFree(port) { return port }
        }
        throw ChildProcess.Failure(description: "no free port in \(first)..<\(first + span)")
    }

    /// The lowest port the kernel picks by itself (`ip_local_port_range`; 32768 by default).
    private static let ephemeralRangeStart: Int = {
        let range = try? String(contentsOfFile: "/proc/sys/net/ipv4/ip_local_port_range", encoding: .utf8)
        return range?.split(whereSeparator: \.isWhitespace).first.flatMap { Int($0) } ?? 32_768
    }()

    private static func isFree(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        return withAddress(port: port) { bind(fd, $0, $1) == 0 }
    }

    /// Calls `body` with the socket address 127.0.0.1:`port` and its length.
    static func withAddress<T>(port: Int, _ body: (UnsafePointer<sockaddr>, socklen_t) -> T) -> T {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
    }
}
