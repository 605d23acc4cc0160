import ChatClient

/// What an `error` frame that is not an answer to one of the client's own frames means for
/// the connection: the server refused the session, or stopped serving it.
enum SessionRefusal: Equatable {
    /// Another gateway serves the user (`wrong_node`, naming it when it is known).
    case moved(node: String?)
    /// The gateways rebalanced; connecting again finds the right one (`reconnect`).
    case reconnect
    /// The token is not accepted (`unauthorized`): connecting again cannot help.
    case fatal(ClientFailure)

    /// The refusal an `error` frame carries, or nil for errors about one frame (those carry
    /// the frame's `ref`), for refused sends delivered later (those carry a `dseq`), and for
    /// `unavailable` without either: a failed ack or read, or a session that failed and is
    /// closed by the server right after, which the connection's end then reports.
    init?(_ frame: JSONValue) {
        guard frame["type"]?.string == "error", frame["ref"]?.string == nil, frame["dseq"]?.int == nil else { return nil }
        switch frame["code"]?.string {
        case "wrong_node": self = .moved(node: frame["node"]?.string)
        case "reconnect": self = .reconnect
        case "unauthorized": self = .fatal(ServerSession.loginAgain(ClientFailure(frame: frame)))
        default: return nil
        }
    }
}
