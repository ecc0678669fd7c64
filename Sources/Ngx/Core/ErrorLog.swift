import Config
import Glibc

/// The error log: nginx's line format, written unbuffered to each target whose level admits the message.
///     2026/11/25 10:00:00 [error] 1234#0: *5 [lua] handler.lua:12: message, client: 127.0.0.1, server: 0.0.0.0:6666
public final class ErrorLog {
    struct Target {
        var path: String
        var fd: Int32
        var level: LogLevel
    }
    private var targets: [Target] = []
    /// The most verbose level any target writes: a cheap filter before formatting.
    public private(set) var maxLevel: LogLevel = .error
    /// This process's pid as lines show it; a worker updates it after the fork.
    nonisolated(unsafe) public static var pid: Int32 = getpid()
    /// When set, lines are "tcplua: [emerg] message": the command line's own messages, as nginx prints them.
    public var linePrefix = ""
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
        var line =
            linePrefix.isEmpty
            ? cachedTime + " [" + level.name + "] " + String(ErrorLog.pid) + "#0: "
            : linePrefix + "[" + level.name + "] "
        if connection > 0 { line += "*" + String(connection) + " " }
        line += message
        line += context
        line += "\n"
        var bytes = line
        bytes.withUTF8 { buf in
            for t in targets where level <= t.level {
                var off = 0
                while off < buf.count {
                    let r = Glibc.write(t.fd, buf.baseAddress! + off, buf.count - off)
                    if r <= 0 {
                        if r < 0 && errno == EINTR { continue }
                        break
                    }
                    off += r
                }
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
