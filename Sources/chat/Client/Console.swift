import Foundation

/// Lines for the user. Each is written with one unbuffered `write`, so a script reading a
/// pipe sees every line as soon as it is printed, and lines of stdout and stderr never tear.
enum Console {
    static func line(_ text: String) {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }

    static func error(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }
}
