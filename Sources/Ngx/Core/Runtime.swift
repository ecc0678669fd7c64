import CLuaJIT
import Config
import EventLoop
import Glibc
import LuaKit

/// Where Lua code is running, for APIs that only work in some phases.
public enum Phase: Sendable {
    case initByLua, initWorker, session

    var directiveName: String {
        switch self {
        case .initByLua: return "init_by_lua*"
        case .initWorker: return "init_worker_by_lua*"
        case .session: return "process_by_lua*"
        }
    }
}

/// One server block as a worker runs it: its config, its compiled handler and its logs.
public final class ServerRuntime {
    public let config: ServerConfig
    public let handler: LuaHandler?
    /// `preread_by_lua*` and `log_by_lua*`, compiled.
    public let preread: LuaHandler?
    public let logHandler: LuaHandler?
    public let errorLog: ErrorLog
    public let accessLog: AccessLogWriter?

    public init(
        config: ServerConfig,
        handler: LuaHandler?,
        preread: LuaHandler? = nil,
        logHandler: LuaHandler? = nil,
        errorLog: ErrorLog,
        accessLog: AccessLogWriter?
    ) {
        self.config = config
        self.handler = handler
        self.preread = preread
        self.logHandler = logHandler
        self.errorLog = errorLog
        self.accessLog = accessLog
    }
}

/// The worker's state that Lua API functions reach: the loop, the VM, the running thread and the live
/// sessions. Exactly one per process, on one thread.
public final class NgxRuntime {
    /// The loop: a worker makes its own after the fork (the master's only serves the clock for init_by_lua).
    public var loop: EventLoop
    public let vm: LuaVM
    public let log: ErrorLog
    public let prefix: String
    /// Buffers borrowed by connections while input or output is pending (behind a pointer: reached from the
    /// hot path with no reference counting).
    let pool: UnsafeMutablePointer<BufferPool> = {
        let p = UnsafeMutablePointer<BufferPool>.allocate(capacity: 1)
        p.initialize(to: BufferPool())
        return p
    }()
    /// The thread whose coroutine is running, if any. Unmanaged and static so the API functions reach it
    /// without reference counting.
    nonisolated(unsafe) static var current: Unmanaged<LuaThread>?
    public var phase: Phase = .initByLua
    var connectionCounter = 0
    public private(set) var activeSessions = 0
    /// The live sessions, newest first (intrusive links: no allocation per session).
    private var sessions: Session?
    public var workerConnections = 512
    /// Unsent bytes per connection above which `ngx.print` waits for the client to read.
    public var sendLimit = 64 * 1024
    /// Reference to the metatable `{__index = _G}` of each session's environment, in `vm`.
    private(set) var sessionEnvMeta: Int32 = -2
    /// `package.path`/`cpath` and `init_by_lua*`, run in the fresh VM of each connection with
    /// `lua_code_cache off`; returns the error message when it fails.
    public var freshVMSetup: ((LuaVM) -> String?)?
    public let startWallMs: Int64
    /// `lua_max_pending_timers`, `lua_max_running_timers`.
    public var maxPendingTimers = 1024
    public var maxRunningTimers = 256
    /// The pending timers, newest first (intrusive links), and the counts `ngx.timer.*_count()` return.
    unowned(unsafe) var pendingTimers: LuaTimer?
    var pendingTimerCount = 0
    var runningTimerCount = 0
    /// What a timer created outside any session (in `init_worker_by_lua*`) runs with: the first server's
    /// settings, the main error log, no access log.
    var timerServer: ServerRuntime {
        if let s = madeTimerServer { return s }
        let s = ServerRuntime(config: ServerConfig(), handler: nil, errorLog: log, accessLog: nil)
        madeTimerServer = s
        return s
    }
    private var madeTimerServer: ServerRuntime?

    /// The runtime of this process, for the `@convention(c)` API functions.
    nonisolated(unsafe) static var shared: NgxRuntime!

    public init(loop: EventLoop, vm: LuaVM, log: ErrorLog, prefix: String) {
        self.loop = loop
        self.vm = vm
        self.log = log
        self.prefix = prefix
        startWallMs = loop.clock.wallMs
        NgxRuntime.shared = self
        log.wallMs = { [unowned self] in self.loop.clock.wallMs }
        LuaVM.onPanic = { [unowned self] message in self.log.log(.alert, message) }
        sessionEnvMeta = NgxRuntime.prepare(vm)
    }

    /// Installs the ngx API in `vm` and returns the reference of its session environments' metatable.
    static func prepare(_ vm: LuaVM) -> Int32 {
        var meta: Int32 = -2
        let e = vm.protected { lua in
            NgxAPI.install(lua)
            lua.newTable()
            lua.getGlobal("_G")
            lua.setField(-2, "__index")
            meta = lua.ref()
        }
        if let e { fatalError("installing the ngx API failed: \(e.message)") }
        return meta
    }

    /// Accepts ownership of a connected socket and starts its session right away. `remoteText` is the client's
    /// address as text when it is not IPv4 (`::1`, `unix:`); `address` is then 0.
    public func startSession(
        fd: Int32,
        address: UInt32,
        port: UInt16,
        server: ServerRuntime,
        listenIndex: Int = 0,
        remoteText: String? = nil
    ) {
        if activeSessions >= workerConnections {
            log.log(.alert, "\(workerConnections) worker_connections are not enough")
            Sys.close(fd)
            return
        }
        var sessionVM = vm
        var envMeta = sessionEnvMeta
        if !server.config.codeCache {
            guard let fresh = makeFreshVM() else {
                Sys.close(fd)
                return
            }
            (sessionVM, envMeta) = fresh
        }
        connectionCounter += 1
        let session = Session(
            fd: fd,
            sendTimeoutMs: Int64(server.config.sendTimeout),
            number: connectionCounter,
            address: address,
            port: port,
            server: server,
            listenIndex: listenIndex,
            runtime: self,
            vm: sessionVM,
            envMeta: envMeta
        )
        session.linger = LingerSettings(
            mode: server.config.lingeringClose,
            timeMs: Int64(server.config.lingeringTime),
            timeoutMs: Int64(server.config.lingeringTimeout)
        )
        do throws(SysError) {
            try loop.register(fd, session, events: Connection.readEvents)
        } catch {
            log.log(.alert, error.description)
            Sys.close(fd)
            return
        }
        session.remoteText = remoteText
        link(session)
        session.start()
    }

    /// Counts a new session and puts it in the list of live ones.
    func link(_ session: Session) {
        activeSessions += 1
        session.next = sessions
        sessions?.previous = session
        sessions = session
    }

    /// A session is over: unlinked (released once the loop iteration ends).
    func sessionEnded(_ s: Session) {
        loop.releaseLater(s)
        if let p = s.previous { p.next = s.next } else { sessions = s.next }
        s.next?.previous = s.previous
        s.next = nil
        s.previous = nil
        activeSessions -= 1
        if activeSessions == 0, let idle = onIdle { idle() }
    }

    /// Calls `body` with every live session (graceful stop, shutdown timeout: not a hot path).
    func forEachSession(_ body: (Session) -> Void) {
        var all: [Session] = []
        var s = sessions
        while let x = s {
            all.append(x)
            s = x.next
        }
        for x in all { body(x) }
    }

    /// A graceful stop (QUIT) began: sessions parked between requests are closed, and so is every session
    /// that parks from now on; sessions in the middle of a request finish it.
    public private(set) var stopping = false
    /// A graceful stop of either kind began (`ngx.worker.exiting()`).
    public private(set) var exiting = false

    /// Begins a graceful stop. `closingIdle` (QUIT) closes the sessions parked in `ngx.wait_next_request()`;
    /// without it (a reload, a binary upgrade: the worker retires) they keep serving their client on this
    /// worker's code until the client closes, keepalive_timeout passes or worker_shutdown_timeout ends them.
    public func beginGracefulStop(closingIdle: Bool = true) {
        exiting = true
        abortPendingTimers()
        guard closingIdle else { return }
        stopping = true
        forEachSession { s in
            if let t = s.thread, t.parkedOn == NextRequestWait.self { s.abort(drain: true) }
        }
    }

    /// worker_shutdown_timeout passed: every session still open is closed now.
    public func closeAllSessions() {
        forEachSession { s in
            s.log(.info, "closing connection: worker_shutdown_timeout passed")
            s.abort(drain: false)
        }
    }

    /// Called when the last session ends (a worker stopping gracefully waits for it).
    public var onIdle: (() -> Void)?

    /// Builds a `ServerRuntime` for each server: its handler compiled (syntax errors surface here) and its logs open.
    public func makeServers(_ configs: [ServerConfig]) throws -> [ServerRuntime] {
        var servers: [ServerRuntime] = []
        for c in configs {
            var handler: LuaHandler?
            if let src = c.handler ?? (c.protocolName == "demo" ? DemoProtocol.source(for: c) : nil) {
                let h = LuaHandler(source: src, codeCache: c.codeCache, prefix: prefix)
                try h.compile(vm)
                handler = h
            }
            let elog = ErrorLog()
            elog.wallMs = log.wallMs
            try elog.open(c.errorLogs, prefix: prefix)
            var alog: AccessLogWriter?
            if let a = c.accessLog { alog = try AccessLogWriter(path: a.path, format: a.format, prefix: prefix) }
            var phases: [LuaHandler?] = []
            for src in [c.preread, c.logHandler] {
                let h = src.map { LuaHandler(source: $0, codeCache: c.codeCache, prefix: prefix) }
                try h?.compile(vm)
                phases.append(h)
            }
            servers.append(
                ServerRuntime(
                    config: c,
                    handler: handler,
                    preread: phases[0],
                    logHandler: phases[1],
                    errorLog: elog,
                    accessLog: alog
                )
            )
        }
        madeTimerServer = ServerRuntime(
            config: configs.first ?? ServerConfig(),
            handler: nil,
            errorLog: log,
            accessLog: nil
        )
        return servers
    }
}

extension NgxRuntime {
    /// `lua_code_cache off`: a new VM for one connection, set up as the worker's was (the ngx API, the
    /// package paths, `init_by_lua*`), so edited modules are loaded anew and no global outlives a connection.
    func makeFreshVM() -> (LuaVM, Int32)? {
        let fresh = LuaVM()
        let meta = NgxRuntime.prepare(fresh)
        if let setup = freshVMSetup, let message = setup(fresh) {
            log.log(.error, "lua_code_cache off: setting up a fresh Lua VM failed: \(message)")
            return nil
        }
        return (fresh, meta)
    }
}
