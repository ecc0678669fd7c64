import EventLoop
import Glibc

/// `access_log PATH FORMAT`: one line per light session, buffered and written when the buffer fills,
/// every second, and at exit. Variables of the seed and of nginx's stream log module are supported.
public final class AccessLogWriter {
    enum Part {
        case text(String)
        case variable(String)
    }
    let path: String
    private var fd: Int32
    private let parts: [Part]
    private var buffer: [UInt8] = []
    private let limit = 32 * 1024

    public init(path: String, format: String, prefix: String) throws(LogOpenError) {
        self.path = ErrorLog.resolve(path, prefix: prefix)
        fd = open(self.path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw LogOpenError(path: self.path, errno: errno) }
        parts = AccessLogWriter.parse(format)
        buffer.reserveCapacity(limit)
    }

    deinit {
        flush()
        close(fd)
    }

    /// Splits "$a text ${b}" into literal and variable parts.
    static func parse(_ format: String) -> [Part] {
        var parts: [Part] = []
        var text = ""
        let u = Array(format.unicodeScalars)
        var i = 0
        while i < u.count {
            if u[i] == "$" && i + 1 < u.count {
                var j = i + 1
                var name = ""
                let braced = u[j] == "{"
                if braced { j += 1 }
                while j < u.count, u[j].properties.isAlphabetic || u[j] == "_" || (u[j].value >= 48 && u[j].value <= 57)
                {
                    name.unicodeScalars.append(u[j])
                    j += 1
                }
                if braced && j < u.count && u[j] == "}" { j += 1 }
                if !name.isEmpty {
                    if !text.isEmpty { parts.append(.text(text)) }
                    text = ""
                    parts.append(.variable(name))
                    i = j
                    continue
                }
            }
            text.unicodeScalars.append(u[i])
            i += 1
        }
        if !text.isEmpty { parts.append(.text(text)) }
        return parts
    }

    func write(session: Session) {
        for p in parts {
            switch p {
            case .text(let t): buffer.append(contentsOf: t.utf8)
            case .variable(let v): buffer.append(contentsOf: value(v, session).utf8)
            }
        }
        buffer.append(10)
        if buffer.count >= limit { flush() }
    }

    private func value(_ name: String, _ s: Session) -> String {
        let now = s.runtime.loop.clock.wallMs
        switch name {
        case "remote_addr": return Sys.ipString(s.address)
        case "remote_port": return String(s.port)
        case "time_local": return TimeFormat.common(Int(now / 1000))
        case "time_iso8601": return TimeFormat.iso8601(Int(now / 1000))
        case "msec": return AccessLogWriter.seconds(now)
        case "request_time", "session_time": return AccessLogWriter.seconds(max(0, now - s.requestStartMs))
        case "connection": return String(s.number)
        case "connection_requests": return String(s.requests)
        case "bytes_sent": return String(s.bytesSent)
        case "bytes_received": return String(s.bytesReceived)
        case "protocol": return "TCP"
        case "server_port": return String(s.listen?.port ?? 0)
        case "server_addr": return s.listen?.host ?? ""
        case "status": return s.outputClosed ? "500" : "200"
        case "pid": return String(getpid())
        default: return "-"
        }
    }

    /// "1.234" from milliseconds.
    static func seconds(_ ms: Int64) -> String {
        let frac = ms % 1000
        let f = frac < 10 ? "00\(frac)" : frac < 100 ? "0\(frac)" : "\(frac)"
        return "\(ms / 1000).\(f)"
    }

    /// Writes the buffered lines.
    public func flush() {
        guard !buffer.isEmpty else { return }
        buffer.withUnsafeBytes { b in
            var off = 0
            while off < b.count {
                let r = Glibc.write(fd, b.baseAddress! + off, b.count - off)
                if r <= 0 { break }
                off += r
            }
        }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Reopens the file (USR1).
    public func reopen() {
        flush()
        let nfd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        if nfd >= 0 {
            close(fd)
            fd = nfd
        }
    }
}
