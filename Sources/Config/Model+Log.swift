/// An nginx log level; raw values are the Lua constants `ngx.STDERR` (0) … `ngx.DEBUG` (8).
public enum LogLevel: Int, Sendable, Comparable, CaseIterable {
    case stderr = 0
    case emerg, alert, crit, error, warn, notice, info, debug

    /// The name nginx prints in `[...]`: `emerg`, `error`, …; empty for `stderr`.
    public var name: String {
        switch self {
        case .stderr: ""
        case .emerg: "emerg"
        case .alert: "alert"
        case .crit: "crit"
        case .error: "error"
        case .warn: "warn"
        case .notice: "notice"
        case .info: "info"
        case .debug: "debug"
        }
    }

    /// The level for an `error_log` level name: `emerg` … `debug`; `debug_tcp`, `debug_core` and every other
    /// `debug_*` mean `debug`. Nil for anything else (including `stderr`, which is not a configurable level).
    public init?(name: String) {
        if name.hasPrefix("debug_") && name.count > 6 {
            self = .debug
            return
        }
        guard let level = LogLevel.allCases.first(where: { $0 != .stderr && $0.name == name }) else { return nil }
        self = level
    }

    public static func < (lhs: LogLevel, rhs: LogLevel) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// One `error_log` destination.
public struct LogTarget: Sendable, Equatable {
    /// `stderr` or a path as written (relative to the prefix).
    public var path: String
    /// Messages at this level or more severe are written.
    public var level: LogLevel

    public init(path: String, level: LogLevel = .error) {
        self.path = path
        self.level = level
    }

    /// The main-level default, `logs/error.log` at `error`.
    public static let defaultTarget = LogTarget(path: "logs/error.log", level: .error)
}

/// An `access_log` destination with its resolved format; `access_log off` is represented by no `AccessLog`.
public struct AccessLog: Sendable, Equatable {
    /// A path as written (relative to the prefix).
    public var path: String
    /// The format template text, e.g. `$remote_addr $time_iso8601 …`.
    public var format: String

    public init(path: String = AccessLog.defaultPath, format: String = AccessLog.combinedFormat) {
        self.path = path
        self.format = format
    }

    /// The seed's default access log path.
    public static let defaultPath = "logs/access_tcp.log"
    /// The predefined `combined` format of the seed's log module.
    public static let combinedFormat =
        "$remote_addr $time_iso8601 $msec $request_time $connection $connection_requests $protocol"
}
