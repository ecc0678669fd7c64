import Glibc

/// What one access-log line shows: the values `AccessLogWriter.write(session:)` takes from a light session.
public struct AccessLogRecord {
    /// The client's IPv4 address, host order.
    public var remoteAddress: UInt32 = 0
    public var remotePort: UInt16 = 0
    /// The connection's serial number.
    public var connection: Int = 0
    /// Light sessions so far on the connection, this one included.
    public var requests: Int = 1
    /// When the light session started and when it ended (wall clock, ms).
    public var startMs: Int64 = 0
    public var nowMs: Int64 = 0
    public var bytesSent: Int = 0
    public var bytesReceived: Int = 0
    /// The accepting `listen` address and port as configured.
    public var serverAddress: String = ""
    public var serverPort: UInt16 = 0
    /// The session's output failed: `$status` is 500.
    public var failed = false

    public init() {}
}

/// Writes lines of one compiled format into a byte buffer. Time strings are cached and rebuilt only when the
/// clock passes a second (`$time_local`, `$time_iso8601`) or a millisecond (`$msec`), as nginx caches
/// `ngx_cached_http_log_time`; the pid's digits are rebuilt only when `ErrorLog.pid` changes (after a fork).
final class AccessLogLineWriter {
    let format: AccessLogFormat
    var buffer: LineBuffer
    /// The format's ops flattened to three words each (variable code or -1 for a literal, start, count) and its
    /// literal bytes, in memory of their own: walking them is plain pointer reads, even in a debug build.
    private let program: UnsafeMutablePointer<Int>
    private let programCount: Int
    private let literals: UnsafeMutablePointer<UInt8>
    private var cachedSecond = Int64.min
    private var timeLocal = LineBuffer(capacity: 64)
    private var timeISO8601 = LineBuffer(capacity: 64)
    private var cachedMs = Int64.min
    private var msec = LineBuffer(capacity: 64)
    private var cachedPid: Int32 = -1
    private var pidDigits = LineBuffer(capacity: 64)
    /// Where `$pid` comes from: the process's pid as the error log shows it.
    var pid: () -> Int32 = { ErrorLog.pid }

    init(format: AccessLogFormat, capacity: Int = 64 * 1024) {
        self.format = format
        buffer = LineBuffer(capacity: capacity)
        programCount = format.ops.count * 3
        program = .allocate(capacity: max(programCount, 1))
        for (i, op) in format.ops.enumerated() {
            let words: (Int, Int, Int)
            switch op {
            case .literal(let start, let count): words = (-1, start, count)
            case .variable(let v): words = (Int(v.rawValue), 0, 0)
            }
            (program + 3 * i).initialize(to: words.0)
            (program + 3 * i + 1).initialize(to: words.1)
            (program + 3 * i + 2).initialize(to: words.2)
        }
        literals = .allocate(capacity: max(format.literals.count, 1))
        literals.initialize(from: format.literals, count: format.literals.count)
    }

    deinit {
        program.deallocate()
        literals.deallocate()
        buffer.deallocate()
        timeLocal.deallocate()
        timeISO8601.deallocate()
        msec.deallocate()
        pidDigits.deallocate()
    }

    /// Appends one line (with its newline) for `r`.
    func append(_ r: AccessLogRecord) {
        var i = 0
        while i < programCount {
            let code = program[i]
            if code < 0 {
                buffer.append(literals + program[i + 1], program[i + 2])
            } else {
                append(AccessLogVariable(rawValue: UInt8(truncatingIfNeeded: code)) ?? .unknown, r)
            }
            i += 3
        }
        buffer.append(10)
    }

    private func append(_ v: AccessLogVariable, _ r: AccessLogRecord) {
        switch v {
        case .remoteAddr: appendIPv4(r.remoteAddress)
        case .remotePort: buffer.appendDecimal(Int(r.remotePort))
        case .timeLocal:
            refreshSecond(r.nowMs)
            buffer.append(timeLocal.base, timeLocal.count)
        case .timeISO8601:
            refreshSecond(r.nowMs)
            buffer.append(timeISO8601.base, timeISO8601.count)
        case .msec:
            if r.nowMs != cachedMs {
                cachedMs = r.nowMs
                msec.removeAll()
                msec.appendSeconds(milliseconds: r.nowMs)
            }
            buffer.append(msec.base, msec.count)
        case .requestTime, .sessionTime: buffer.appendSeconds(milliseconds: r.nowMs - r.startMs)
        case .connection: buffer.appendDecimal(r.connection)
        case .connectionRequests: buffer.appendDecimal(r.requests)
        case .bytesSent: buffer.appendDecimal(r.bytesSent)
        case .bytesReceived: buffer.appendDecimal(r.bytesReceived)
        case .protocolName: appendASCII("TCP")
        case .serverAddr: buffer.append(r.serverAddress)
        case .serverPort: buffer.appendDecimal(Int(r.serverPort))
        case .status: appendASCII(r.failed ? "500" : "200")
        case .pid:
            let p = pid()
            if p != cachedPid {
                cachedPid = p
                pidDigits.removeAll()
                pidDigits.appendDecimal(Int(p))
            }
            buffer.append(pidDigits.base, pidDigits.count)
        case .unknown: buffer.append(UInt8(ascii: "-"))
        }
    }

    /// A static ASCII string (no allocation: string literals are stored as UTF-8).
    @inline(__always) private func appendASCII(_ s: StaticString) {
        buffer.append(s.utf8Start, s.utf8CodeUnitCount)
    }

    /// `a.b.c.d` from a host-order address.
    private func appendIPv4(_ a: UInt32) {
        buffer.appendDecimal(Int(a >> 24))
        buffer.append(UInt8(ascii: "."))
        buffer.appendDecimal(Int((a >> 16) & 255))
        buffer.append(UInt8(ascii: "."))
        buffer.appendDecimal(Int((a >> 8) & 255))
        buffer.append(UInt8(ascii: "."))
        buffer.appendDecimal(Int(a & 255))
    }

    /// Rebuilds the two local-time strings when `ms` is in another second than the cached one.
    private func refreshSecond(_ ms: Int64) {
        let sec = ms >= 0 ? ms / 1000 : (ms - 999) / 1000
        guard sec != cachedSecond else { return }
        cachedSecond = sec
        let c = TimeFormat.components(Int(sec), utc: false)
        let year = UInt(c.tm_year + 1900)
        let off = Int(c.tm_gmtoff / 60)
        let sign = off < 0 ? UInt8(ascii: "-") : UInt8(ascii: "+")
        let offH = UInt(off.magnitude / 60)
        let offM = UInt(off.magnitude % 60)
        timeLocal.removeAll()
        timeISO8601.removeAll()
        // 28/Sep/1970:12:00:00 +0600
        timeLocal.appendDecimal(UInt(c.tm_mday), width: 2)
        timeLocal.append(UInt8(ascii: "/"))
        let month = Self.months[Int(c.tm_mon)]
        month.withUnsafeBufferPointer { timeLocal.append($0.baseAddress!, 3) }
        timeLocal.append(UInt8(ascii: "/"))
        timeLocal.appendDecimal(year, width: 4)
        timeLocal.append(UInt8(ascii: ":"))
        appendClock(&timeLocal, c)
        timeLocal.append(UInt8(ascii: " "))
        timeLocal.append(sign)
        timeLocal.appendDecimal(offH, width: 2)
        timeLocal.appendDecimal(offM, width: 2)
        // 1970-09-28T12:00:00+06:00
        timeISO8601.appendDecimal(year, width: 4)
        timeISO8601.append(UInt8(ascii: "-"))
        timeISO8601.appendDecimal(UInt(c.tm_mon + 1), width: 2)
        timeISO8601.append(UInt8(ascii: "-"))
        timeISO8601.appendDecimal(UInt(c.tm_mday), width: 2)
        timeISO8601.append(UInt8(ascii: "T"))
        appendClock(&timeISO8601, c)
        timeISO8601.append(sign)
        timeISO8601.appendDecimal(offH, width: 2)
        timeISO8601.append(UInt8(ascii: ":"))
        timeISO8601.appendDecimal(offM, width: 2)
    }

    /// `hh:mm:ss`.
    private func appendClock(_ b: inout LineBuffer, _ c: tm) {
        b.appendDecimal(UInt(c.tm_hour), width: 2)
        b.append(UInt8(ascii: ":"))
        b.appendDecimal(UInt(c.tm_min), width: 2)
        b.append(UInt8(ascii: ":"))
        b.appendDecimal(UInt(c.tm_sec), width: 2)
    }

    private static let months: [[UInt8]] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ].map { Array($0.utf8) }
}
