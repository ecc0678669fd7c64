import EventLoop
import Glibc

/// `access_log PATH FORMAT`: one line per light session, written into a buffer and to the file when the buffer
/// passes 32 KiB, every second (the worker's flush timer), and at exit. The format is compiled once
/// (`AccessLogFormat`); a line costs the copies of its bytes (`AccessLogLineWriter`).
public final class AccessLogWriter {
    let path: String
    private var fd: Int32
    let lines: AccessLogLineWriter
    private let limit = 32 * 1024

    public init(path: String, format: String, prefix: String) throws(LogOpenError) {
        self.path = ErrorLog.resolve(path, prefix: prefix)
        fd = open(self.path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw LogOpenError(path: self.path, errno: errno) }
        lines = AccessLogLineWriter(format: AccessLogFormat(format), capacity: 2 * limit)
    }

    deinit {
        flush()
        close(fd)
    }

    /// Writes the line of the light session `s` ends.
    func write(session s: Session) {
        var r = AccessLogRecord()
        s.fillAccessRecord(&r, withServer: lines.usesServer)
        write(r)
    }

    /// Writes one line.
    public func write(_ record: borrowing AccessLogRecord) {
        lines.append(record)
        if lines.buffer.count >= limit { flush() }
    }

    /// Writes the buffered lines.
    public func flush() {
        let b = lines.buffer
        var off = 0
        while off < b.count {
            let r = Glibc.write(fd, b.base + off, b.count - off)
            if r < 0 && errno == EINTR { continue }
            if r <= 0 { break }
            off += r
        }
        lines.buffer.removeAll()
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

extension Session {
    /// The values the access log's variables (and `ngx.var`) read, now.
    func accessRecord(withServer: Bool) -> AccessLogRecord {
        var r = AccessLogRecord()
        fillAccessRecord(&r, withServer: withServer)
        return r
    }

    /// Fills a fresh record in place (a record returned by value is copied and destroyed once more per line).
    func fillAccessRecord(_ r: inout AccessLogRecord, withServer: Bool) {
        r.remoteAddress = address
        r.remoteText = remoteText
        r.remotePort = port
        r.connection = number
        r.requests = requests
        r.startMs = requestStartMs
        r.nowMs = nowWallMs
        r.bytesSent = requestBytesSent
        r.bytesReceived = requestBytesReceived
        if withServer, let listen {
            r.serverAddress = listen.addressText
            r.serverPort = listen.port
        }
        r.failed = outputClosed
    }
}
