import EventLoop
import Glibc

/// One `ngx.socket.tcp()` object: at most one upstream `Connection` at a time, its three timeouts, and the
/// pool key its connection goes back to with `setkeepalive`. Every wait (connect, send, receive) parks the
/// calling thread on the connection (`SocketWaits.swift`); a read timeout leaves the socket usable, every
/// other failure closes it.
///
///     new ──connect──▶ connecting ──▶ connected ──close / error──▶ closed ──connect──▶ …
///                                          └──setkeepalive──▶ (its connection pooled) closed
final class TCPSocket: Cosocket, ConnectionOwner, ConnectionReader {
    /// Unowned: a live connection is retained by the loop while registered, and a pooled one by its pool;
    /// this reference is cleared whenever the connection closes or goes to the pool.
    private(set) var connectionRef: Unmanaged<Connection>?
    var connection: Connection? { connectionRef?.takeUnretainedValue() }
    /// Runs `body` with the connection without counting a reference (the FFI fast paths); `none` without one.
    @inline(__always) func withConnection<R>(or none: R, _ body: (Connection) -> R) -> R {
        guard let r = connectionRef else { return none }
        return r._withUnsafeGuaranteedRef(body)
    }
    let server: ServerRuntime
    var connectTimeout: Int64
    var sendTimeout: Int64
    var readTimeout: Int64
    /// The pool the connection belongs to: `host:port`, the unix path, or the name given to `connect`.
    var poolKey = ""
    /// `pool_size` given to `connect` (the pool is made with it when it does not exist yet).
    var poolSize: Int?
    /// How many times the current connection was taken from a pool.
    var reusedTimes = 0
    /// "127.0.0.1:8000" or "unix:/path", for log lines.
    var peer = ""
    /// The send that is waiting: its byte count; whether the write side's timer passed.
    var sendTimedOut = false
    /// What a connect that failed or timed out ended with (errno; ETIMEDOUT for the timer).
    var connectError: Int32 = 0
    /// The receive in progress.
    var read = ReadRequest()
    /// The pattern of the `receiveuntil` iterator call in progress.
    var untilPattern: [UInt8] = []
    /// The capped pool (a connect with `backlog`) whose count includes this socket's connection.
    var slotPool: SocketPool?
    /// A connect waiting in a capped pool's queue: the pool, where to, and when the wait ends (loop ms).
    var queuePool: SocketPool?
    /// The thread whose connect waits in `queuePool`'s queue (any thread of the owning session may connect).
    unowned(unsafe) var queuedThread: LuaThread?
    var queuedTarget: NgxAPI.ConnectTarget?
    var queueDeadline: Int64 = 0

    override init(thread: LuaThread) {
        let server = thread.session.server
        self.server = server
        // Field by field: copying the whole config struct would retain each of its arrays and strings.
        connectTimeout = Int64(server.config.socketConnectTimeout)
        sendTimeout = Int64(server.config.socketSendTimeout)
        readTimeout = Int64(server.config.socketReadTimeout)
        super.init(thread: thread)
        isTCP = true
    }

    var isConnected: Bool { connection != nil }

    // MARK: connecting

    /// Takes an idle connection from the pool of `poolKey`; false when it has none.
    func reuse() -> Bool {
        guard let (c, reused, pool) = SocketPool.take(poolKey) else { return false }
        adopt(c, reused: reused)
        if pool.backlog != nil { slotPool = pool }  // it counted as idle, it counts as held now
        return true
    }

    /// This socket's connection (or connect) no longer counts in its capped pool.
    func releaseSlot() {
        guard let p = slotPool else { return }
        slotPool = nil
        p.slotFreed()
    }

    /// Starts a new connection to `target`; returns how far it got.
    func open(_ target: SocketTarget, runtime: NgxRuntime) -> ConnectStart {
        closeConnection()
        let start: ConnectStart
        switch target {
        case .ip(let a, let port): start = Sys.connect(a, port: port)
        case .unix(let path): start = Sys.connectUnix(path)
        }
        switch start {
        case .connected(let fd), .pending(let fd):
            let c = Connection(fd: fd, runtime: runtime, sendTimeoutMs: sendTimeout)
            do throws(SysError) {
                try runtime.loop.register(fd, c, events: Connection.readEvents | Events.write)
            } catch {
                Sys.close(fd)
                return .failed(error.errno)
            }
            c.watchingWrite = true
            if case .pending = start { c.writable = false }
            if case .ip = target { _ = Sys.setOption(fd, .tcpNodelay, 1) }
            adopt(c, reused: 0)
        case .failed:
            break
        }
        return start
    }

    private func adopt(_ c: Connection, reused: Int) {
        c.owner = self
        c.state = .open
        c.disarmRead()  // the pool's idle timer, lazily (the next wait re-arms it; `close()` cancels it)
        c.sendTimedOut = false
        sendTimedOut = false
        connectionRef = Unmanaged.passUnretained(c)
        reusedTimes = reused
    }

    /// The pending connect finished (or failed): nil when connected, else the errno.
    func connectOutcome() -> Int32? {
        guard let c = connection else { return connectError == 0 ? ECONNREFUSED : connectError }
        let e = Sys.socketError(c.fd)
        return e == 0 ? nil : e
    }

    // MARK: closing

    /// Closes the connection now (its capped pool, if any, has room again); false when there was none.
    @discardableResult
    func close() -> Bool {
        defer { releaseSlot() }
        return closeConnection()
    }

    @discardableResult
    private func closeConnection() -> Bool {
        guard let c = connection else { return false }
        connectionRef = nil
        c.reader = nil
        c.writer = nil
        c.close()
        return true
    }

    override func shutdown() {
        query?.abort()
        query = nil
        if let p = queuePool, let i = p.waiters.firstIndex(where: { $0 === self }) { p.waiters.remove(at: i) }
        queuePool = nil
        close()
    }

    /// Hands the connection to the pool (after `setkeepalive` checked it is clean).
    func release(toPool timeoutMs: Int64, size: Int) {
        guard let c = connection else { return }
        connectionRef = nil
        let counted = slotPool != nil
        slotPool = nil
        SocketPool.put(c, key: poolKey, size: size, reused: reusedTimes, idleMs: timeoutMs, counted: counted)
    }

    func connectionClosed(_ c: Connection) {
        guard connection === c else { return }
        connectionRef = nil
        releaseSlot()
    }

    /// The send timeout passed: the writer is resumed with "timeout" and the socket closes.
    func connectionSendTimedOut(_ c: Connection) -> Bool {
        sendTimedOut = true
        c.sendTimedOut = true
        c.outputClosed = true
        logError(NgxStrings.logWriteTimedOut)
        let w = c.writer
        c.writer = nil
        if connection === c {
            connectionRef = nil
            releaseSlot()
        }
        c.close()
        w?.suspensionReady()
        return true
    }

    // MARK: logging

    /// Logs a failure at `[error]` with the session's context, unless `lua_socket_log_errors off`.
    func logError(_ message: String) {
        guard server.config.socketLogErrors, let s = owner else { return }
        s.log(.error, (server.config.isStream ? "stream " : "") + message)
    }
}

/// Where `connect` goes.
enum SocketTarget {
    case ip(IPAddress, UInt16)
    case unix(String)
}
