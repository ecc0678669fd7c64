import Config
import Glibc

/// The error log: nginx's line format, written unbuffered to each target whose level admits the message.
///     2026/11/25 10:00:00 [error] 1234#0: *5 [lua] handler.lua:12: message, client: 127.0.0.1, server: 0.0.0.0:6666
/// The command line's own messages to stderr take nginx's short form instead (`tcplua: [emerg] message`): that
/// is a property of the target (`addCommandLineStderr`), so one message reaches a file and the terminal once each.
public final class ErrorLog {
    struct Target {
        var path: String
        var fd: Int32
        var level: LogLevel
        /// "tcplua: " for the command line's stderr, nil for nginx's line format.
        var commandPrefix: String? = nil
    }
    private var targets: [Target] = []
    /// The most verbose level any target writes: a cheap filter before formatting.
    public private(set) var maxLevel: LogLevel = .error
    /// This process's pid as lines show it; a worker updates it after the fork.
    nonisolated(unsafe) public static var pid: Int32 = getpid()
    private var cachedSecond = -1
    private var cachedTime = ""
    /// Wall clock in ms; a worker points it at its loop's cached clock.
    public var wallMs: () -> Int64 = ErrorLog.systemWallMs

    /// The system's wall clock in ms (one clock_gettime).
    public static let systemWallMs: @Sendable () -> Int64 = {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }

    public init() {}

    /// A log writing only to stderr at `level` (before the config is read).
    public static func stderr(level: LogLevel = .notice) -> ErrorLog {
        let log = ErrorLog()
        log.targets = [Target(path: "stderr", fd: 2, level: level)]
        log.maxLevel = level
        return log
    }

    /// Adds stderr in the command line's form, `tcplua: [level] message`, for messages at `level` or more severe
    /// (nginx prints up to `warn` there while starting).
    public func addCommandLineStderr(prefix: String = "tcplua: ", level: LogLevel = .warn) {
        add(Target(path: "stderr", fd: 2, level: level, commandPrefix: prefix))
    }

    /// Adds a file in nginx's line format if it can be opened; false (and nothing added) if not.
    @discardableResult
    public func addFileIfPossible(_ path: String, prefix: String, level: LogLevel) -> Bool {
        let full = ErrorLog.resolve(path, prefix: prefix)
        let fd = Glibc.open(full, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return false }
        add(Target(path: full, fd: fd, level: level))
        return true
    }

    private func add(_ t: Target) {
        targets.append(t)
        maxLevel = targets.map(\.level).max() ?? .error
    }

    /// A log writing to `self`'s targets and to those of `other` that write elsewhere (a file both name is
    /// written once; a stderr target of `self` replaces `other`'s). The descriptors stay owned by the two logs.
    public func adding(_ other: ErrorLog) -> ErrorLog {
        let log = ErrorLog()
        log.wallMs = wallMs
        for t in targets { log.add(t) }
        let paths = Set(targets.map(\.path))
        for t in other.targets where !paths.contains(t.path) { log.add(t) }
        return log
    }

    /// Opens every target (paths relative to `prefix`), replacing the current ones.
    public func open(_ specs: [LogTarget], prefix: String) throws(LogOpenError) {
        var new: [Target] = []
        for s in specs {
            if s.path == "stderr" {
                new.append(Target(path: s.path, fd: 2, level: s.level))
                continue
            }
            let full = ErrorLog.resolve(s.path, prefix: prefix)
            let fd = Glibc.open(full, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw LogOpenError(path: full, errno: errno) }
            new.append(Target(path: full, fd: fd, level: s.level))
        }
        close()
        targets = new
        maxLevel = new.map(\.level).max() ?? .error
    }

    /// Reopens file targets (USR1), keeping the old descriptor when a file cannot be opened.
    public func reopen() {
        for i in targets.indices where targets[i].fd != 2 {
            let fd = Glibc.open(targets[i].path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
            if fd >= 0 {
                Glibc.close(targets[i].fd)
                targets[i].fd = fd
            }
        }
    }

    public func close() {
        for t in targets where t.fd > 2 { Glibc.close(t.fd) }
        targets = []
    }

    @inlinable public func enabled(_ level: LogLevel) -> Bool { level <= maxLevel }

    /// Writes one line. `context` is what follows the message (", client: ..., server: ...").
    public func log(_ level: LogLevel, _ message: String, connection: Int = 0, context: String = "") {
        guard enabled(level) else { return }
        let ms = wallMs()
        let sec = Int(ms / 1000)
        if sec != cachedSecond {
            cachedSecond = sec
            cachedTime = TimeFormat.errorLog(sec)
        }
        var body = connection > 0 ? "*" + String(connection) + " " : ""
        body += message
        body += context
        body += "\n"
        var full: String?
        for t in targets where level <= t.level {
            if let p = t.commandPrefix {
                ErrorLog.write(p + "[" + level.name + "] " + body, to: t.fd)
            } else {
                if full == nil { full = cachedTime + " [" + level.name + "] " + String(ErrorLog.pid) + "#0: " + body }
                ErrorLog.write(full!, to: t.fd)
            }
        }
    }

    /// Writes all of `line` (retrying on EINTR and short writes).
    private static func write(_ line: String, to fd: Int32) {
        var line = line
        line.withUTF8 { buf in
            var off = 0
            while off < buf.count {
                let r = Glibc.write(fd, buf.baseAddress! + off, buf.count - off)
                if r <= 0 {
                    if r < 0 && errno == EINTR { continue }
                    break
                }
                off += r
            }
        }
    }

    /// `path` made absolute against `prefix` unless it already is.
    public static func resolve(_ path: String, prefix: String) -> String {
        if path.hasPrefix("/") || prefix.isEmpty { return path }
        return prefix.hasSuffix("/") ? prefix + path : prefix + "/" + path
    }
}

/// An error-log file that could not be opened, in nginx's words.
public struct LogOpenError: Error, CustomStringConvertible {
    public var path: String
    public var errno: Int32
    public var description: String { "open() \"\(path)\" failed (\(errno): \(String(cString: strerror(errno))))" }
}
