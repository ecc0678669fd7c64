import EventLoop
import Glibc
import LuaKit

/// What a receive asks for (kept in the socket while its thread waits). Plain values only, so copying it
/// costs no reference counting; a `receiveuntil` pattern is kept in the socket (`untilPattern`).
struct ReadRequest {
    enum Mode {
        /// `receive(total, at_least)` / `receive(n)`: at least `atLeast` bytes, at most `total`.
        case size
        /// `receive("*l")`: a line ended by LF; CRs dropped, the LF not returned.
        case line
        /// `receive("*a")`: everything until the peer closes (no error at its end).
        case all
        /// `receiveany(max)`: whatever is there, 1 to `total` bytes.
        case any
        /// A `receiveuntil` iterator call: the bytes before `pattern`, or chunks of `total` when sized.
        case until
    }
    var mode = Mode.size
    var total = 0
    var atLeast = 0
    var inclusive = false
    /// For `until` with a size (0 = none).
    var chunk = 0
    /// Bytes already searched for a line end or the pattern (from the read index).
    var scanned = 0
    /// Where the line end or pattern was found (from the read index), once it is.
    var found = -1
}

/// Whether a receive can finish.
enum ReadStatus {
    case ready
    case wait
    /// The peer closed or the socket failed (the connection's `eof`/`readError`).
    case failed
}

/// Reads `ReadRequest`s over any `Connection`: a TCP cosocket's upstream connection and the client's socket
/// (`ngx.req.socket()`) share the status checks, the line and pattern search and the results. The conformer
/// keeps the request in progress and the `receiveuntil` pattern.
protocol ConnectionReader: AnyObject {
    var read: ReadRequest { get set }
    var untilPattern: [UInt8] { get }
}

extension ConnectionReader {
    /// Reads what the request needs from `c`, without touching Lua; `progress` tells whether bytes arrived
    /// (the read timeout counts from the last bytes).
    func readStatus(_ c: Connection, progress: inout Bool) -> ReadStatus {
        switch read.mode {
        case .size:
            return status(c.fill(want: read.atLeast, progress: &progress))
        case .any:
            return status(c.fill(want: 1, progress: &progress))
        case .all:
            while true {
                switch c.fill(want: c.input.readable + 1, progress: &progress) {
                case .ready: continue
                case .wait: return .wait
                case .closed: return c.readError == 0 ? .ready : .failed
                }
            }
        case .line, .until:
            while true {
                if search(c) { return .ready }
                switch c.fill(want: c.input.readable + 1, progress: &progress) {
                case .ready: continue
                case .wait: return .wait
                case .closed: return .failed
                }
            }
        }
    }

    @inline(__always) private func status(_ r: FillResult) -> ReadStatus {
        switch r {
        case .ready: return .ready
        case .wait: return .wait
        case .closed: return .failed
        }
    }

    /// Looks for the line end or the pattern in the bytes not searched yet; true when the request can
    /// finish (found, or a sized `until` has a full chunk that cannot hold the start of the pattern).
    func search(_ c: Connection) -> Bool {
        if read.found >= 0 { return true }  // found by the event that woke the thread
        let n = c.input.readable
        guard n > 0 else { return false }
        let p = c.input.readPointer.assumingMemoryBound(to: UInt8.self)
        if read.mode == .line {
            if let hit = memchr(p + read.scanned, 10, n - read.scanned) {
                read.found = UnsafeMutableRawPointer(hit) - UnsafeMutableRawPointer(p)
                return true
            }
            read.scanned = n
            return false
        }
        let m = untilPattern.count
        if n >= m {
            let found = untilPattern.withUnsafeBufferPointer { pat -> Int in
                var i = max(0, read.scanned - m + 1)
                let first = pat[0]
                while i <= n - m {
                    guard let hit = memchr(p + i, Int32(first), n - m - i + 1) else { return -1 }
                    i = UnsafeMutableRawPointer(hit) - UnsafeMutableRawPointer(p)
                    if memcmp(p + i, pat.baseAddress!, m) == 0 { return i }
                    i += 1
                }
                return -1
            }
            read.scanned = n
            if found >= 0 {
                read.found = found
                return true
            }
        }
        return read.chunk > 0 && n - (m - 1) >= read.chunk
    }

    /// Inside the running coroutine: pushes a finished request's data and consumes its bytes.
    func pushData(_ c: Connection, _ lua: Lua) -> Int32 {
        // "*a" at a connection whose end was already seen finds no buffer at all: ""
        guard c.input.isAllocated else {
            lua.push(static: "")
            return 1
        }
        let input = c.input.readPointer
        switch read.mode {
        case .size, .any:
            let n = min(read.total, c.input.readable)
            lua.push(bytes: input, count: n)
            c.input.consume(n)
            c.releaseInputIfEmpty()
            return 1
        case .all:
            lua.push(bytes: input, count: c.input.readable)
            c.input.consume(c.input.readable)
            c.releaseInputIfEmpty()
            return 1
        case .line:
            pushLine(input, read.found, lua)
            c.input.consume(read.found + 1)
            c.releaseInputIfEmpty()
            return 1
        case .until:
            let m = untilPattern.count
            if read.found >= 0 && (read.chunk == 0 || read.found <= read.chunk) {
                lua.push(bytes: input, count: read.found + (read.inclusive ? m : 0))
                c.input.consume(read.found + m)
                c.releaseInputIfEmpty()
                lua.pushNil()
                lua.pushNil()
                lua.push(true)  // the pattern was met: a sized iterator ends with its next call
                return 4
            }
            lua.push(bytes: input, count: read.chunk)
            c.input.consume(read.chunk)
            return 1
        }
    }

    /// A line without its LF and without any CR (OpenResty's `*l`).
    func pushLine(_ p: UnsafeMutableRawPointer, _ n: Int, _ lua: Lua) {
        let b = p.assumingMemoryBound(to: UInt8.self)
        if memchr(b, 13, n) == nil {
            lua.push(bytes: p, count: n)
            return
        }
        var out = [UInt8]()
        out.reserveCapacity(n)
        for i in 0..<n where b[i] != 13 { out.append(b[i]) }
        out.withUnsafeBytes { lua.push(bytes: $0.baseAddress, count: $0.count) }
    }

    /// `nil, err, partial` with every buffered byte as the partial.
    func pushPartial(_ c: Connection, _ err: String, _ lua: Lua) -> Int32 {
        lua.pushNil()
        lua.push(err)
        lua.push(bytes: c.input.isAllocated ? c.input.readPointer : nil, count: c.input.readable)
        c.input.consume(c.input.readable)
        c.releaseInputIfEmpty()
        return 3
    }
}

extension TCPSocket {
    /// Reads what the request needs from the socket's connection (`ConnectionReader.readStatus`).
    func readStatus(progress: inout Bool) -> ReadStatus {
        guard let u = connectionRef else { return .failed }
        return u._withUnsafeGuaranteedRef { c in readStatus(c, progress: &progress) }
    }

    /// Inside the running coroutine: pushes the finished receive's results and consumes their bytes.
    /// A failure other than a timeout closes the socket.
    func pushRead(_ status: ReadStatus, timedOut: Bool, _ lua: Lua) -> Int32 {
        guard let c = connection else {
            lua.pushNil()
            lua.push(NgxStrings.closed)
            lua.push(static: "")
            return 3
        }
        if timedOut {
            logError(NgxStrings.logReadTimedOut)
            return pushPartial(c, NgxStrings.timeout, lua)
        }
        if status == .failed {
            if c.readError != 0 { logError(NgxStrings.logReadFailed(c.readError)) }
            defer { close() }
            return pushPartial(c, NgxStrings.socketError(c.readError), lua)
        }
        return pushData(c, lua)
    }
}
