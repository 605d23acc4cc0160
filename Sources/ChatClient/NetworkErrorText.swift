import Foundation
import NIOCore
import NIOPosix

/// Short words for why a connection failed, for people: "connection refused", rather than
/// SwiftNIO's nested descriptions of every address it tried.
public enum NetworkErrorText {
    public static func describe(_ error: any Error) -> String {
        switch error {
        case let failure as NIOConnectionError:
            if let first = failure.connectionErrors.first { return describe(first.error) }
            if failure.dnsAError != nil || failure.dnsAAAAError != nil { return "cannot resolve \(failure.host)" }
            return "no address of \(failure.host) could be connected to"
        case let io as IOError:
            return String(cString: strerror(io.errnoCode)).lowercased()
        case ChannelError.connectTimeout(let timeout):
            return "no connection within \(timeout.nanoseconds / 1_000_000_000) s"
        case ChannelError.ioOnClosedChannel, ChannelError.alreadyClosed, ChannelError.eof:
            return "the connection closed"
        default:
            return "\(error)"
        }
    }
}
