import ArgumentParser
import Logging

extension Logger.Level: @retroactive ExpressibleByArgument {
    /// The level given on the command line, else `CHAT_LOG_LEVEL`, else `fallback`.
    static func chosen(_ explicit: Logger.Level?, default fallback: Logger.Level) -> Logger.Level {
        explicit ?? Environment.value("CHAT_LOG_LEVEL").flatMap(Logger.Level.init(rawValue:)) ?? fallback
    }
}

enum HostAndPort {
    /// Splits `HOST:PORT`; the host may be empty (meaning all interfaces is not offered: 0.0.0.0 must be explicit).
    static func parse(_ text: String, option: String) throws -> (String, Int) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
            (0...65535).contains(port), colon > text.startIndex
        else {
            throw ValidationError("\(option) must be HOST:PORT, for example 127.0.0.1:9092, not '\(text)'")
        }
        return (String(text[..<colon]), port)
    }
}

extension Logger {
    static func make(label: String, level: Logger.Level) -> Logger {
        var logger = Logger(label: label)
        logger.logLevel = level
        return logger
    }
}
