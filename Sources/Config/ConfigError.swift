/// A place in the configuration: the file name as written (relative to the prefix, e.g. `conf/tcplua.conf`) and a
/// 1-based line number.
public struct SourceLocation: Sendable, Equatable, Hashable, CustomStringConvertible {
    /// The file name as the user wrote it, or `"command line"` for `-g` directives.
    public var file: String
    /// 1-based line number; 0 for the command line.
    public var line: Int

    public init(file: String, line: Int) {
        self.file = file
        self.line = line
    }

    /// Where `-g` directives come from; errors there end in " in command line", as nginx prints them.
    public static let commandLine = SourceLocation(file: "command line", line: 0)

    /// True for directives given with `-g`.
    public var isCommandLine: Bool { self == .commandLine }

    /// `file:line`, or `command line`.
    public var description: String { isCommandLine ? file : "\(file):\(line)" }
}

/// A configuration error, printed the way nginx prints `[emerg]` messages:
/// `unknown directive "foo" in conf/tcplua.conf:12`.
///
/// Every throwing function of this module uses typed throws, `throws(ConfigError)`.
public struct ConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The message without its location, e.g. `unknown directive "foo"`.
    public var message: String
    /// Where the error is, when known (not for a main config file that cannot be opened).
    public var location: SourceLocation?

    public init(_ message: String, at location: SourceLocation? = nil) {
        self.message = message
        self.location = location
    }

    /// `message in file:line`, `message in command line`, or just `message` without a location.
    public var description: String {
        guard let location else { return message }
        return "\(message) in \(location)"
    }
}

/// Something loading accepted but wants the user to know, printed as nginx prints `[warn]` messages:
/// `"resolver" directive is accepted but has no effect yet in conf/tcplua.conf:12`.
public struct ConfigWarning: Sendable, Equatable, CustomStringConvertible {
    /// The message without its location.
    public var message: String
    /// Where it applies.
    public var location: SourceLocation

    public init(_ message: String, at location: SourceLocation) {
        self.message = message
        self.location = location
    }

    /// `message in file:line`, or `message in command line`.
    public var description: String { "\(message) in \(location)" }
}
