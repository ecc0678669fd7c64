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

    /// Writes the line of the light session `s` ends, reading its values from the session itself (no record is
    /// filled, copied or destroyed per line).
    func write(session s: Session) {
        lines.append(SessionLogView(s))
        if lines.buffer.count >= limit { flush() }
    }

    /// Writes one line.
    public func write(_ record: AccessLogRecord) {
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

/// A light session as the access log reads it: its values, now (a reference that is not counted: the session
/// is writing its own line).
struct SessionLogView: AccessLogSource {
    let ref: Unmanaged<Session>
    init(_ s: Session) { ref = Unmanaged.passUnretained(s) }
    @inline(__always) private func read<T>(_ body: (Session) -> T) -> T { ref._withUnsafeGuaranteedRef(body) }
    var remoteAddress: UInt32 { read { $0.address } }
    var remotePort: UInt16 { read { $0.port } }
    var remoteText: String? { read { $0.remoteText } }
    var connection: Int { read { $0.number } }
    var requests: Int { read { $0.requests } }
    var startMs: Int64 { read { $0.requestStartMs } }
    var nowMs: Int64 { read { $0.nowWallMs } }
    var bytesSent: Int { read { $0.requestBytesSent } }
    var bytesReceived: Int { read { $0.requestBytesReceived } }
    var serverAddress: String { read { $0.listen?.addressText ?? "" } }
    var serverPort: UInt16 { read { $0.listen?.port ?? 0 } }
    var failed: Bool { read { $0.outputClosed } }
    var exitStatus: Int { read { Int($0.exitStatus) } }
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
        r.exitStatus = Int(exitStatus)
    }
}
