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
    public let errorLog: ErrorLog
    public let accessLog: AccessLogWriter?

    public init(config: ServerConfig, handler: LuaHandler?, errorLog: ErrorLog, accessLog: AccessLogWriter?) {
        self.config = config
        self.handler = handler
        self.errorLog = errorLog
        self.accessLog = accessLog
    }
}

/// The worker's state that Lua API functions reach: the loop, the VM, the running session and the
/// loop-wide buffers. Exactly one per process, on one thread.
public final class NgxRuntime {
    /// The loop: a worker makes its own after the fork (the master's only serves the clock for init_by_lua).
    public var loop: EventLoop
    public let vm: LuaVM
    public let log: ErrorLog
    public let prefix: String
    /// Output of the running session, flushed with one write when it yields or ends.
    var out = ByteBuffer(capacity: 65536)
    /// Buffers borrowed by connections while a receive is partly filled.
    var pool = BufferPool()
    /// The session whose coroutine is running, if any (kept alive by the loop while it runs). Unmanaged and
    /// static so the API functions reach it without reference counting.
    nonisolated(unsafe) static var current: Unmanaged<Session>?
    public var phase: Phase = .initByLua
    var connectionCounter = 0
    public private(set) var activeSessions = 0
    public var workerConnections = 512
    /// Unsent bytes per connection above which `ngx.print` waits for the client to read.
    public var sendLimit = 64 * 1024
    /// Reference to the metatable `{__index = _G}` of each session's environment.
    var sessionEnvMeta: Int32 = -2
    /// Reference to the interned string "ok" (`ngx.print`'s second result), pushed without hashing.
    nonisolated(unsafe) static var okRef: Int32 = -2
    public let startWallMs: Int64

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
        NgxAPI.install(vm.lua)
        let lua = vm.lua
        lua.newTable()
        lua.getGlobal("_G")
        lua.setField(-2, "__index")
        sessionEnvMeta = lua.ref()
        lua.push(NgxStrings.ok)
        NgxRuntime.okRef = lua.ref()
    }

    /// Accepts ownership of a connected socket and starts its session right away.
    public func startSession(fd: Int32, address: UInt32, port: UInt16, server: ServerRuntime, listenIndex: Int = 0) {
        if activeSessions >= workerConnections {
            log.log(.alert, "\(workerConnections) worker_connections are not enough")
            Sys.close(fd)
            return
        }
        connectionCounter += 1
        let session = Session(
            fd: fd,
            number: connectionCounter,
            address: address,
            port: port,
            server: server,
            listenIndex: listenIndex,
            runtime: self
        )
        do throws(SysError) {
            try loop.register(fd, session, events: Session.readEvents)
        } catch {
            log.log(.alert, error.description)
            Sys.close(fd)
            return
        }
        activeSessions += 1
        session.start()
    }

    func sessionClosed() {
        activeSessions -= 1
        if activeSessions == 0, let idle = onIdle { idle() }
    }

    /// A graceful stop (QUIT) began: sessions parked between requests are closed, and so is every session
    /// that parks from now on; sessions in the middle of a request finish it.
    public private(set) var stopping = false

    public func beginGracefulStop() {
        stopping = true
        var idle: [Session] = []
        loop.forEachHandler { h in
            if let s = h as? Session, case .idle = s.wait { idle.append(s) }
        }
        for s in idle { s.finish() }
    }

    /// Called when the last session closes (a worker stopping gracefully waits for it).
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
            servers.append(ServerRuntime(config: c, handler: handler, errorLog: elog, accessLog: alog))
        }
        return servers
    }
}
