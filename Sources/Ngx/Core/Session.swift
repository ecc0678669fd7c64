import CLuaJIT
import CShim
import Config
import EventLoop
import Glibc
import LuaKit

/// What a session's coroutine is parked on. One wait at a time; one timer serves them all.
enum SessionWait {
    /// Running, or yielded for a reason that resumes at once.
    case none
    /// `ngx.receive(total, atLeast)`.
    case receive(total: Int, atLeast: Int)
    /// `ngx.wait_next_request()`: idle between requests, bounded by keepalive_timeout.
    case idle
    /// `ngx.print` beyond the unsent-bytes bound: resumes with `bytes, "ok"` when the client drains.
    case write(bytes: Int)
    /// `ngx.sleep`.
    case sleep
    /// The handler ended with output still unsent: wait for the drain, then close.
    case closing
}

/// One client connection and the Lua coroutine serving it (the seed's `connection_session`); each
/// `ngx.wait_next_request()` starts a new `light_session` on it.
///
///     start ─▶ running ──yield──▶ receive │ idle │ write │ sleep ──event/timer──▶ running
///                 └──return/error/ngx.exit──▶ closing (output unsent) ──drained/timeout──▶ closed
final class Session: EventHandler {
    let fd: Int32
    let number: Int
    let address: UInt32
    let port: UInt16
    let server: ServerRuntime
    /// Which of the server's `listen` addresses accepted this connection.
    let listenIndex: Int
    /// Copied from the server so the hot path reads them without reference counting.
    unowned(unsafe) let accessLog: AccessLogWriter?
    let keepaliveTimeout: Int?
    /// The runtime outlives every session; unowned(unsafe) keeps reference counting off the hot path.
    unowned(unsafe) let runtime: NgxRuntime
    /// The coroutine and its registry reference (keeps it alive).
    var co: OpaquePointer?
    var coRef: Int32 = -2
    var input = ByteBuffer()
    var pendingOut = ByteBuffer()
    /// Edge-triggered readiness. Reading starts at the first EPOLLIN (epoll reports data already there when the
    /// socket is added), so a fresh connection costs no speculative read; writing is assumed possible until a
    /// write reports EAGAIN, and only then is EPOLLOUT watched.
    var readable = false
    var writable = true
    var watchingWrite = false
    static let readEvents = Events.read | Events.readHangup | Events.edge
    var eof = false
    /// The peer sent FIN (or the socket failed): a short read no longer means the socket is drained.
    var peerClosed = false
    var readError: Int32 = 0
    var outputClosed = false
    var exiting = false
    var closed = false
    var wait = SessionWait.none
    /// The session's one timer is the handler's built-in slot.
    @inline(__always) var timer: Timer { self }
    // Per light session (request) counters, for the access log.
    var requests = 1
    var requestStartMs: Int64 = 0
    var bytesSent = 0
    var bytesReceived = 0

    init(
        fd: Int32,
        number: Int,
        address: UInt32,
        port: UInt16,
        server: ServerRuntime,
        listenIndex: Int,
        runtime: NgxRuntime
    ) {
        self.listenIndex = listenIndex
        self.fd = fd
        self.number = number
        self.address = address
        self.port = port
        self.server = server
        self.runtime = runtime
        accessLog = server.accessLog
        keepaliveTimeout = server.config.keepaliveTimeout
        requestStartMs = runtime.loop.clock.wallMs
        super.init()
    }

    /// ", client: 1.2.3.4, server: 0.0.0.0:6666" for log lines.
    var logContext: String {
        ", client: " + Sys.ipString(address) + ", server: " + (listen?.text ?? "")
    }

    /// The `listen` address that accepted this connection.
    var listen: ListenAddress? {
        listenIndex < server.config.listens.count ? server.config.listens[listenIndex] : nil
    }

    func log(_ level: LogLevel, _ message: String) {
        server.errorLog.log(level, message, connection: number, context: logContext)
    }

    // MARK: lifecycle

    /// Creates the coroutine with the handler's closure in its own environment and runs it.
    func start() {
        let lua = runtime.vm.lua
        guard let handler = server.handler else {
            close()
            return
        }
        do throws(LuaError) {
            try handler.pushClosure(runtime.vm)
        } catch {
            log(.error, "failed to load Lua code: \(error.message)")
            close()
            return
        }
        // The closure's environment: a fresh table falling back to _G.
        lua.newTable()
        lua.pushRef(runtime.sessionEnvMeta)
        lua.setMetatable(-2)
        lua_setfenv(lua.L, -2)
        guard let thread = lua_newthread(lua.L) else {
            lua.pop()
            close()
            return
        }
        co = thread
        lua.insert(at: -2)
        lua_xmove(lua.L, thread, 1)
        coRef = lua.ref()
        resume(nargs: 0)
    }

    /// Resumes the coroutine with `nargs` values already pushed on it, then acts on how it stopped.
    func resume(nargs: Int32) {
        guard let co, !closed else { return }
        wait = .none
        let previous = NgxRuntime.current
        NgxRuntime.current = Unmanaged.passUnretained(self)
        let status = lua_resume(co, nargs)
        NgxRuntime.current = previous
        switch status {
        case LUA_YIELD:
            lua_settop(co, 0)
            if exiting {
                finish()
            } else {
                flush()
                if case .none = wait {  // a bare coroutine.yield(): run again on the next iteration
                    wait = .sleep
                    runtime.loop.arm(timer, afterMs: 0)
                }
            }
        case 0:
            finish()
        default:
            let lua = runtime.vm.lua
            let msg = Lua(co).string(-1) ?? "(error object is a \(Lua(co).typeName(at: -1)) value)"
            tl_traceback(lua.L, co, msg)
            let trace = lua.string(-1) ?? msg
            lua.pop()
            log(.error, "lua entry thread aborted: runtime error: " + trace)
            finish()
        }
    }

    /// The handler is done: flush what it printed, then close (at once, or once the output drains).
    func finish() {
        flush()
        if pendingOut.readable > 0 && !outputClosed {
            wait = .closing
            runtime.loop.arm(timer, afterMs: Int64(server.config.sendTimeout))
        } else {
            close()
        }
    }

    /// Ends the light session: writes its access-log line and resets the per-request counters.
    func endRequest() {
        accessLog?.write(session: self)
        requests += 1
        requestStartMs = runtime.loop.clock.wallMs
        bytesSent = 0
        bytesReceived = 0
    }

    /// Closes the connection and releases everything the session holds.
    func close() {
        guard !closed else { return }
        closed = true
        endRequestForClose()
        runtime.loop.cancel(timer)
        runtime.loop.deregister(fd, closing: true)
        Sys.close(fd)
        runtime.pool.give(&input)
        pendingOut.release()
        if coRef != -2 {
            runtime.vm.lua.unref(coRef)
            coRef = -2
        }
        co = nil
        runtime.sessionClosed()
    }

    private func endRequestForClose() {
        if bytesSent > 0 || bytesReceived > 0 || requests == 1 {
            server.accessLog?.write(session: self)
        }
    }

    // MARK: events

    override func handleEvent(_ events: UInt32) {
        if events & (Events.read | Events.hangup | Events.error | Events.readHangup) != 0 { readable = true }
        if events & (Events.hangup | Events.error | Events.readHangup) != 0 { peerClosed = true }
        if events & (Events.write | Events.error | Events.hangup) != 0 {
            writable = true
            if pendingOut.readable > 0 {
                let before = pendingOut.readable
                flushPending()
                if pendingOut.readable < before { writeProgressed() }
            }
        }
        drive()
    }

    /// The client read some of the unsent output: send_timeout counts from here, as in nginx.
    private func writeProgressed() {
        switch wait {
        case .write, .closing: runtime.loop.arm(timer, afterMs: Int64(server.config.sendTimeout))
        default: break
        }
    }

    /// Makes progress on the current wait after readiness changed.
    func drive() {
        guard !closed else { return }
        switch wait {
        case .receive(let total, let atLeast):
            if let n = receiveReady(total: total, atLeast: atLeast) {
                runtime.loop.cancel(timer)
                resume(nargs: n)
            }
        case .idle:
            idleReady()
        case .write(let bytes):
            if outputClosed || pendingOut.readable < runtime.sendLimit {
                runtime.loop.cancel(timer)
                pushWriteResult(bytes, on: Lua(co!))
                resume(nargs: 2)
            }
        case .closing:
            if pendingOut.readable == 0 || outputClosed { close() }
        case .none, .sleep:
            break
        }
    }

    override func fire() { timerFired() }

    func timerFired() {
        guard let co, !closed else { return }
        let lua = Lua(co)
        switch wait {
        case .receive:
            lua.pushNil()
            lua.push(NgxStrings.timeout)
            pushPartial(lua)
            resume(nargs: 3)
        case .idle:
            finish()  // keepalive timeout: unsent output still gets send_timeout to drain
        case .closing:
            close()
        case .write:
            outputClosed = true  // send_timeout: the client stalled; its unsent bytes are dropped now
            pendingOut.release()
            lua.pushNil()
            lua.push(NgxStrings.timeout)
            resume(nargs: 2)
        case .sleep:
            resume(nargs: 0)
        case .none:
            break
        }
    }

    /// While parked in `wait_next_request`: the next bytes resume the coroutine; a close ends the session.
    private func idleReady() {
        if input.readable > 0 {
            resumeFromIdle()
            return
        }
        guard readable else { return }
        switch fill(want: 1) {
        case .ready:
            resumeFromIdle()
        case .wait:
            runtime.pool.give(&input)
        case .closed:
            finish()  // a half-close while idle: what is still unsent drains first
        }
    }

    private func resumeFromIdle() {
        runtime.loop.cancel(timer)
        resume(nargs: 0)
    }
}
