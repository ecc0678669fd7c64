import CLuaJIT
import Config
import EventLoop
import Glibc
import LuaKit

/// The request context of one client connection (the seed's `connection_session`): it is the connection (one
/// allocation for both, as nginx keeps them in one request context) and owns the entry thread running the
/// handler, and the light threads that thread spawns; each `ngx.wait_next_request()` starts a new
/// `light_session` on it. It ends when its threads have ended and its connection has closed. A timer's
/// callback runs in a session too (`isTimer`), a detached connection (no socket, closed from the start), as
/// OpenResty runs it in a fake request: `Session+Timer.swift`.
///
///     start ─▶ thread running/parked ──return/error/ngx.exit──▶ connection finishing (drain, linger) ──▶ ended
///                      └── connection closed (peer, timeout) ──▶ waits return "closed" ──▶ thread ends ──┘
final class Session: Connection, ConnectionOwner {
    // Stored properties are ordered so the small ones share the last words (Swift lays a class out in
    // declaration order, after `Connection`'s 200 bytes): 296 bytes, malloc's 304-byte chunk (W4 counts bytes
    // per idle connection).
    /// The connection's number (`*5` in log lines, `$connection`).
    let connectionNumber: Int
    let server: ServerRuntime
    /// Copied from the server so the hot path reads them without reference counting.
    private let accessLogRef: Unmanaged<AccessLogWriter>?
    var thread: LuaThread?
    /// Links in the runtime's list of live sessions (graceful stop walks it).
    var next: Session?
    unowned(unsafe) var previous: Session?
    /// What few sessions need (a client that is not IPv4, `ngx.on_abort`), out of line: `Session+Extras.swift`.
    var extras: SessionExtras?
    // Per light session (request) counters, for the access log.
    var requests = 1
    var requestStartMs: Int64 = 0
    let address: UInt32
    /// keepalive_timeout in ms (-1: none) and read_timeout, 32-bit to keep the session small.
    private let keepaliveMs: Int32
    private let readTimeoutMs: Int32
    private let listenIndex32: Int32
    let port: UInt16
    /// What `ngx.exit(code)` recorded as `$status` (0: nothing).
    var exitStatus: UInt16 = 0
    /// A timer's context: no client connection (`API disabled in the context of ngx.timer`), no access log.
    let isTimer: Bool
    /// Which of the server's Lua phases runs: `preread_by_lua*`, then the content handler, then `log_by_lua*`.
    private(set) var stage = Stage.content
    /// The preread phase failed or called `ngx.exit()` with a code other than `ngx.OK`/`ngx.DECLINED`: the
    /// content handler does not run.
    var prereadDeclined = false
    private(set) var ended = false

    /// Some APIs are refused here (a timer, `log_by_lua*`): one test before `refusal` says which.
    var restricted: Bool { isTimer || stage == .log }

    /// The context in which an API that yields or needs the client is disabled here, if it is: `log_by_lua*`
    /// (nothing may wait once the session is over), `ngx.timer` (no client).
    func refusal(client: Bool) -> String? {
        if stage == .log { return "log_by_lua*" }
        if client && isTimer { return "ngx.timer" }
        return nil
    }

    enum Stage: UInt8 {
        case preread, content, log
    }
    /// Which of the server's `listen` addresses accepted this connection.
    var listenIndex: Int { Int(listenIndex32) }
    var keepaliveTimeout: Int? { keepaliveMs < 0 ? nil : Int(keepaliveMs) }
    var readTimeout: Int64 { Int64(readTimeoutMs) }
    /// Its client connection: itself.
    var connection: Connection { self }
    /// The same, for the hot path's `_withUnsafeGuaranteedRef`.
    var connectionRef: Unmanaged<Connection> { @inline(__always) get { Unmanaged.passUnretained(self) } }
    /// The VM its threads run in: the worker's, or a fresh one per connection with `lua_code_cache off`
    /// (kept in `extras`).
    var vm: LuaVM { extras?.freshVM ?? runtime.vm }
    /// The metatable of its environment table (`{__index = _G}` of `vm`).
    var envMeta: Int32 {
        if let e = extras, e.freshVM != nil { return e.freshEnvMeta }
        return runtime.sessionEnvMeta
    }

    /// A client connection's session (`fd`), or a timer's (`isTimer`: detached, no socket).
    init(
        fd: Int32,
        sendTimeoutMs: Int64,
        number: Int,
        address: UInt32,
        port: UInt16,
        server: ServerRuntime,
        listenIndex: Int,
        runtime: NgxRuntime,
        vm: LuaVM,
        envMeta: Int32,
        isTimer: Bool = false
    ) {
        self.isTimer = isTimer
        listenIndex32 = Int32(clamping: listenIndex)
        connectionNumber = number
        self.address = address
        self.port = port
        self.server = server
        accessLogRef = isTimer ? nil : server.accessLog.map { Unmanaged.passUnretained($0) }
        keepaliveMs = server.config.keepaliveTimeout.map { Int32(clamping: $0) } ?? -1
        readTimeoutMs = Int32(clamping: server.config.readTimeout)
        requestStartMs = runtime.loop.clock.wallMs
        super.init(fd: fd, runtime: runtime, sendTimeoutMs: sendTimeoutMs, detached: isTimer)
        if !isTimer { owner = self }  // a timer session's connection has no owner (nothing happens on it)
        if vm !== runtime.vm {
            madeExtras.freshVM = vm
            madeExtras.freshEnvMeta = envMeta
        }
    }

    // MARK: what the access log and log lines read

    /// This light session's bytes: those written, and those it printed that are still unsent (they are
    /// written after `wait_next_request` began the next one, and are not counted there).
    var requestBytesSent: Int { bytesSent + output.readable }
    var requestBytesReceived: Int { bytesReceived }
    override var number: Int { connectionNumber }

    /// The loop's cached wall clock (ms), without reference counting.
    @inline(__always) var nowWallMs: Int64 { connectionRef._withUnsafeGuaranteedRef { $0.wallMs } }

    /// ", client: 1.2.3.4, server: 0.0.0.0:6666" for log lines.
    override var logContext: String {
        let client = ", client: " + (remoteText ?? Sys.ipString(address)) + ", server: " + (listen?.text ?? "")
        guard isTimer else { return client }
        return ", context: ngx.timer" + (listenIndex < 0 ? "" : client)
    }

    /// The `listen` address that accepted this connection.
    var listen: ListenAddress? {
        listenIndex >= 0 && listenIndex < server.config.listens.count ? server.config.listens[listenIndex] : nil
    }

    func log(_ level: LogLevel, _ message: String) {
        server.errorLog.log(level, message, connection: number, context: logContext)
    }

    // MARK: lifecycle

    /// Creates the entry thread with the handler's closure and runs it.
    func start() {
        if let preread = server.preread {
            stage = .preread
            run(preread)
        } else {
            startContent()
        }
    }

    private func startContent() {
        stage = .content
        guard let handler = server.handler else {
            connection.close()
            return
        }
        run(handler)
    }

    /// Creates the entry thread of a phase and runs it.
    private func run(_ handler: LuaHandler) {
        let t = LuaThread(runtime: runtime, session: self)
        thread = t
        // With the code cached, creating the thread runs no user code: a failure is an error thrown by a
        // finalizer the collector ran meanwhile. Those are logged and run out (each runs once), then the
        // creation is tried once more.
        var retry = handler.codeCache
        while let message = t.create(handler, vm: vm, envMeta: envMeta) {
            log(.error, "failed to load Lua code: \(message)")
            guard retry else {
                thread = nil
                connection.close()
                return
            }
            retry = false
            runFinalizers()
        }
        t.resume()
    }

    /// Runs full collections until one completes without a finalizer raising, logging each error (bounded).
    private func runFinalizers() {
        for _ in 0..<10_000 {
            guard let e = vm.protected({ lua in _ = lua_gc(lua.L, LUA_GCCOLLECT, 0) }) else { return }
            log(.error, "lua error in a finalizer (__gc): " + e.message)
        }
    }

    /// A thread returned, failed or was killed. Once the entry thread and every light thread have ended, the
    /// next phase runs (preread → content → log), then the connection finishes (drain, linger, close). An
    /// entry thread that failed takes its light threads with it.
    func threadEnded(_ t: LuaThread) {
        switch t.kind {
        case .abort: return abortThreadEnded(t)
        case .light: lightThreadEnded(t)
        case .entry:
            guard t === thread else { return }
            thread = nil
            releaseAbortHandler()
            if t.finish == .failed {
                killLightThreads()
                if stage == .preread { prereadDeclined = true }
            }
        }
        guard thread == nil, !hasLiveLightThreads else { return }
        releaseLightThreads()
        if cosockets != nil { Cosocket.sessionThreadsEnded(self) }
        if abortThread != nil { return }  // the on_abort thread finishes first
        switch stage {
        case .preread where !prereadDeclined && !connection.closed: return startContent()
        case .preread, .content:
            if !isTimer, let h = server.logHandler {
                stage = .log
                connection.sendLimit = 0
                return run(h)
            }
        case .log: break
        }
        if connection.closed {
            end()
        } else {
            connection.finish()
        }
    }

    /// `ngx.exit()` from `t`: the session's threads are killed where they are (an on_abort handler's exit ends
    /// that handler only), and the connection finishes.
    func exit(from t: LuaThread) {
        if t.kind == .abort { return t.end() }
        killLightThreads()
        thread?.end()
        t.end()
    }

    func connectionClosed(_ c: Connection) {
        if thread == nil && abortThread == nil && !hasLiveLightThreads { end() }
    }

    /// Ends the light session: writes its access-log line and resets the per-request counters.
    @inline(__always) func endRequest() {
        if let log = accessLogRef { log._withUnsafeGuaranteedRef { $0.write(session: self) } }
        requests += 1
        requestStartMs = nowWallMs
        connection.bytesSent = -connection.output.readable
        connection.bytesReceived = 0
    }

    /// Both the thread and the connection are done: the last access-log line, and the session is released.
    private func end() {
        guard !ended else { return }
        ended = true
        if requestBytesSent > 0 || requestBytesReceived > 0 || requests == 1, let log = accessLogRef {
            log._withUnsafeGuaranteedRef { $0.write(session: self) }
        }
        if ctxRef != -2 {  // ngx.ctx
            vm.lua.unref(ctxRef)
            ctxRef = -2
        }
        if isTimer { runtime.timerEnded() }
        runtime.sessionEnded(self)
    }

    /// Ends the session now (worker_shutdown_timeout, a graceful stop of an idle session): the thread is
    /// killed where it is parked, and the connection closes after its output drains (`drain`) or at once.
    func abort(drain: Bool) {
        if let t = abortThread { t.end() }
        killLightThreads()
        if let t = thread { t.end() }
        if drain { connection.finish() } else { connection.close() }
    }
}
