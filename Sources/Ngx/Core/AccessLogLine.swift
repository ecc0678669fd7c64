import Glibc

/// What one access-log line shows. A light session's line reads its values straight from the session
/// (`SessionLogView`); `AccessLogRecord` holds them for tests and `ngx.var`.
protocol AccessLogSource {
    var remoteAddress: UInt32 { get }
    var remotePort: UInt16 { get }
    var remoteText: String? { get }
    var connection: Int { get }
    var requests: Int { get }
    var startMs: Int64 { get }
    var nowMs: Int64 { get }
    var bytesSent: Int { get }
    var bytesReceived: Int { get }
    var serverAddress: String { get }
    var serverPort: UInt16 { get }
    var failed: Bool { get }
    /// The code `ngx.exit(code)` recorded (0: none).
    var exitStatus: Int { get }
}

extension AccessLogSource {
    /// `$status`: the code `ngx.exit` recorded, else 500 when the output failed, else 200.
    var status: Int { exitStatus != 0 ? exitStatus : failed ? 500 : 200 }
}

/// The values of one access-log line, held (tests, `ngx.var`).
public struct AccessLogRecord: AccessLogSource {
    /// The client's IPv4 address, host order.
    public var remoteAddress: UInt32 = 0
    public var remotePort: UInt16 = 0
    /// The client's address as text when it is not IPv4 (IPv6, `unix:`); `remoteAddress` is then unused.
    public var remoteText: String?
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
    /// The code `ngx.exit(code)` recorded (0: none).
    public var exitStatus = 0

    public init() {}
}

/// Writes lines of one compiled format into a byte buffer. Time strings are cached and rebuilt only when the
/// clock passes a second (`$time_local`, `$time_iso8601`) or a millisecond (`$msec`), as nginx caches
/// `ngx_cached_http_log_time`; the pid's digits are rebuilt only when `ErrorLog.pid` changes (after a fork).
final class AccessLogLineWriter {
    let format: AccessLogFormat
    var buffer: LineBuffer
    /// The format's ops flattened into segments of three words each (a literal's start and count, 0 for none,
    /// then an index into `variables` or -1 for none: a separator and the variable after it in one step) and
    /// its literal bytes, in memory of their own: walking them is plain pointer reads, even in a debug build.
    private let program: UnsafeMutablePointer<Int>
    /// The format's variables in order (no `init(rawValue:)` per variable per line).
    private let variables: UnsafeMutablePointer<AccessLogVariable>
    private let programCount: Int
    private let literals: UnsafeMutablePointer<UInt8>
    /// The second the local-time strings show, as milliseconds `[secondFrom, secondFrom + 1000)` (none yet:
    /// Int64.max); the per-line check is in line.
    private var secondFrom = Int64.max
    private var timeLocal = LineBuffer(capacity: 64)
    private var timeISO8601 = LineBuffer(capacity: 64)
    private var cachedMs = Int64.min
    private var msec = LineBuffer(capacity: 64)
    private var cachedPid: Int32 = -1
    private var pidDigits = LineBuffer(capacity: 64)
    /// The last `$remote_addr` written and its text: a keepalive connection's lines repeat it.
    private var cachedAddress: UInt32 = 0
    private var address = LineBuffer(capacity: 16)
    /// Where `$pid` comes from: the process's pid as the error log shows it.
    var pid: () -> Int32 = { ErrorLog.pid }
    /// The format shows `$server_addr` or `$server_port` (the record needs them filled).
    let usesServer: Bool
    /// What one line can take, `$server_addr` aside: its literals, 32 bytes per variable, the newline.
    private let lineBound: Int

    init(format: AccessLogFormat, capacity: Int = 64 * 1024) {
        self.format = format
        buffer = LineBuffer(capacity: capacity)
        usesServer = format.ops.contains { $0 == .variable(.serverAddr) || $0 == .variable(.serverPort) }
        address.appendDecimal(0)  // "0.0.0.0", the text of cachedAddress
        for _ in 0..<3 {
            address.append(UInt8(ascii: "."))
            address.appendDecimal(0)
        }
        var words: [Int] = []
        var pending: (start: Int, count: Int)?
        var vars: [AccessLogVariable] = []
        for op in format.ops {
            switch op {
            case .literal(let start, let count):
                if let l = pending { words += [l.start, l.count, -1] }
                pending = (start, count)
            case .variable(let v):
                words += [pending?.start ?? 0, pending?.count ?? 0, vars.count]
                vars.append(v)
                pending = nil
            }
        }
        if let l = pending { words += [l.start, l.count, -1] }
        programCount = words.count
        program = .allocate(capacity: max(programCount, 1))
        program.initialize(from: words, count: words.count)
        variables = .allocate(capacity: max(vars.count, 1))
        variables.initialize(from: vars, count: vars.count)
        literals = .allocate(capacity: max(format.literals.count, 1))
        literals.initialize(from: format.literals, count: format.literals.count)
        lineBound = format.literals.count + 32 * format.ops.count + 1
    }

    deinit {
        program.deallocate()
        variables.deallocate()
        literals.deallocate()
        buffer.deallocate()
        timeLocal.deallocate()
        timeISO8601.deallocate()
        msec.deallocate()
        pidDigits.deallocate()
        address.deallocate()
    }

    /// Appends one line (with its newline) for `r`: room for it is reserved once, then every byte is written in
    /// place.
    @inline(__always) func append<R: AccessLogSource>(_ r: R) {
        buffer.reserve(
            lineBound + (usesServer ? r.serverAddress.utf8.count : 0)
                + (r.remoteText.map { $0.utf8.count * format.ops.count } ?? 0)
        )
        var p = buffer.end
        var i = 0
        while i < programCount {
            let n = program[i + 1]
            if n == 1 {
                p[0] = literals[program[i]]  // a separator: no memcpy call
            } else if n > 0 {
                copyShort(literals + program[i], n, to: p)
            }
            p += n
            let code = program[i + 2]
            if code >= 0 { p = write(variables[code], r, at: p) }
            i &+= 3
        }
        p[0] = 10
        buffer.commit(p + 1)
    }

    /// Writes the value of `v` at `p` (room reserved) and returns the end of it. Inlined into `append`'s loop:
    /// a call per variable cost more than the variable.
    @inline(__always) private func write<R: AccessLogSource>(
        _ v: AccessLogVariable,
        _ r: R,
        at p: UnsafeMutablePointer<UInt8>
    ) -> UnsafeMutablePointer<UInt8> {
        switch v {
        case .remoteAddr:
            if let text = r.remoteText {
                var q = p
                for b in text.utf8 {
                    q[0] = b
                    q += 1
                }
                return q
            }
            if r.remoteAddress != cachedAddress {
                cachedAddress = r.remoteAddress
                address.removeAll()
                appendIPv4(r.remoteAddress, to: &address)
            }
            return copy(address, to: p)
        case .remotePort: return DecimalDigits.write(UInt(r.remotePort), at: p)
        case .timeLocal:
            refreshSecond(r.nowMs)
            return copy(timeLocal, to: p)
        case .timeISO8601:
            refreshSecond(r.nowMs)
            return copy(timeISO8601, to: p)
        case .msec:
            if r.nowMs != cachedMs { refreshMsec(r.nowMs) }
            return copy(msec, to: p)
        case .requestTime, .sessionTime: return DecimalDigits.writeSeconds(milliseconds: r.nowMs - r.startMs, at: p)
        case .connection: return DecimalDigits.write(r.connection, at: p)
        case .connectionRequests: return DecimalDigits.write(r.requests, at: p)
        case .bytesSent: return DecimalDigits.write(r.bytesSent, at: p)
        case .bytesReceived: return DecimalDigits.write(r.bytesReceived, at: p)
        case .protocolName: return copy("TCP", to: p)
        case .serverAddr:
            var q = p
            for b in r.serverAddress.utf8 {
                q[0] = b
                q += 1
            }
            return q
        case .serverPort: return DecimalDigits.write(UInt(r.serverPort), at: p)
        case .status: return DecimalDigits.write(r.status, at: p)
        case .pid:
            let pid = pid()
            if pid != cachedPid {
                cachedPid = pid
                pidDigits.removeAll()
                pidDigits.appendDecimal(Int(pid))
            }
            return copy(pidDigits, to: p)
        case .unknown:
            p[0] = UInt8(ascii: "-")
            return p + 1
        }
    }

    /// Copies a cached value to `p`.
    @inline(__always) private func copy(
        _ b: LineBuffer,
        to p: UnsafeMutablePointer<UInt8>
    ) -> UnsafeMutablePointer<UInt8> {
        copyShort(b.base, b.count, to: p)
        return p + b.count
    }

    /// Copies a static ASCII string (string literals are stored as UTF-8: no allocation) to `p`.
    @inline(__always) private func copy(
        _ s: StaticString,
        to p: UnsafeMutablePointer<UInt8>
    ) -> UnsafeMutablePointer<UInt8> {
        copyShort(s.utf8Start, s.utf8CodeUnitCount, to: p)
        return p + s.utf8CodeUnitCount
    }

    /// `a.b.c.d` from a host-order address.
    private func appendIPv4(_ a: UInt32, to b: inout LineBuffer) {
        b.appendDecimal(Int(a >> 24))
        b.append(UInt8(ascii: "."))
        b.appendDecimal(Int((a >> 16) & 255))
        b.append(UInt8(ascii: "."))
        b.appendDecimal(Int((a >> 8) & 255))
        b.append(UInt8(ascii: "."))
        b.appendDecimal(Int(a & 255))
    }

    /// `$msec` for `ms`: within the cached second only its three decimals change.
    private func refreshMsec(_ ms: Int64) {
        let previous = cachedMs
        cachedMs = ms
        if ms >= 0 && previous >= 0 && ms / 1000 == previous / 1000 && msec.count >= 4 {
            let d = Int(ms % 1000)
            let end = msec.base + msec.count
            end[-3] = UInt8(48 + d / 100)
            end[-2] = UInt8(48 + d / 10 % 10)
            end[-1] = UInt8(48 + d % 10)
            return
        }
        msec.removeAll()
        msec.appendSeconds(milliseconds: ms)
    }

    /// Rebuilds the two local-time strings when `ms` is in another second than the cached one.
    @inline(__always) private func refreshSecond(_ ms: Int64) {
        if ms &- secondFrom >= 1000 || ms < secondFrom { rebuildSecond(ms) }
    }

    private func rebuildSecond(_ ms: Int64) {
        let sec = ms >= 0 ? ms / 1000 : (ms - 999) / 1000
        secondFrom = sec &* 1000
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

/// Copies `n` bytes from `src` to `dst` (not overlapping): a line's values are a few to a few dozen bytes, for
/// which a `memcpy` call costs more than the copy; up to 32 bytes are moved as two overlapping pairs of
/// unaligned words, longer ones by `memcpy`.
@inline(__always) func copyShort(_ src: UnsafePointer<UInt8>, _ n: Int, to dst: UnsafeMutablePointer<UInt8>) {
    let s = UnsafeRawPointer(src)
    let d = UnsafeMutableRawPointer(dst)
    if n >= 16 && n <= 32 {
        let a = s.loadUnaligned(as: (UInt64, UInt64).self)
        let b = s.loadUnaligned(fromByteOffset: n - 16, as: (UInt64, UInt64).self)
        d.storeBytes(of: a, as: (UInt64, UInt64).self)
        d.storeBytes(of: b, toByteOffset: n - 16, as: (UInt64, UInt64).self)
    } else if n >= 8 && n < 16 {
        let a = s.loadUnaligned(as: UInt64.self)
        let b = s.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self)
        d.storeBytes(of: a, as: UInt64.self)
        d.storeBytes(of: b, toByteOffset: n - 8, as: UInt64.self)
    } else if n < 8 {
        var i = 0
        while i < n {
            dst[i] = src[i]
            i &+= 1
        }
    } else {
        dst.update(from: src, count: n)
    }
}
