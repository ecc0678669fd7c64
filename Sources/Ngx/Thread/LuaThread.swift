import CLuaJIT
import CShim
import EventLoop
import LuaKit

/// One coroutine the server runs: a session's entry handler (a client connection's, or a timer's callback),
/// a light thread (`ngx.thread.spawn`), an `ngx.on_abort` handler. It owns its coroutine (and the registry
/// reference keeping it alive), knows its owner (a session, the request context), the one suspension it is
/// parked on, and its own timer (the `Timer` it is: sleeps and posted runs). `NgxRuntime.current` points at
/// the running thread.
///
///     created ─▶ running ──suspend(on:)──▶ parked ──wake()──▶ running ──return/error/exit──▶ ended
///                                                         (a light thread: a zombie until waited for) ─┘
final class LuaThread: Timer {
    // Stored properties are ordered so the one-byte and 32-bit ones fill the words after `Timer`'s (Swift lays
    // a class out in declaration order and packs into the superclass's tail): 136 bytes, malloc's 144-byte
    // chunk (W4 counts bytes per idle connection).
    private(set) var phase = Phase.running
    let kind: Kind
    /// How it ended, for `ngx.thread.wait` (its results stay on the dead coroutine until then).
    private(set) var finish = Finish.none
    /// The coroutine has been woken and has not yet asked for the wait's results.
    var resultsPending = false
    /// How the last wait ended.
    var outcome = WaitOutcome.ready
    /// `ngx.exit()` was called: end the thread at its next yield.
    var exiting = false
    private(set) var ended = false
    /// It runs a handler's chunk (its bottom frame is the chunk's closure: "in main chunk" in tracebacks).
    private(set) var runsChunk = false
    private var ref: Int32 = -2
    /// Requests served from already-buffered bytes since the last resume: past `budgetLimit` the thread
    /// yields the worker and runs again on the next iteration, so one pipelining client cannot starve others.
    var budget: Int32 = 0
    /// The coroutine; nil once ended.
    private(set) var co: OpaquePointer?
    /// The request context it serves (it owns the thread).
    private let sessionRef: Unmanaged<Session>
    /// What it is parked on (`phase == .parked`), or was woken from while `resultsPending`.
    private(set) var suspension: (any Suspension.Type)?
    /// Scratch for the suspension's arguments (`receive`'s total and at-least, `print`'s byte count).
    var waitA = 0
    var waitB = 0
    /// What a cosocket or semaphore wait is on (a thread waits on one thing at a time): `waitSocket`,
    /// `waitSemaphore`.
    private unowned(unsafe) var waitObject: AnyObject?
    /// The coroutine whose API call is running (the thread's own, or a user coroutine inside it): where the
    /// yield sentinel goes. Set by `NgxAPI.withThread`.
    var caller: OpaquePointer?
    /// Its links to other threads: only light threads and threads that spawned one have them (out of line).
    private var family: Family?

    /// The runtime (the process's one: not stored).
    var runtime: NgxRuntime { NgxRuntime.shared }
    var session: Session { sessionRef.takeUnretainedValue() }
    /// The loop, reached without reference counting (the runtime's: not stored).
    var loopRef: Unmanaged<EventLoop> { Unmanaged.passUnretained(NgxRuntime.shared.loop) }
    /// The cosocket a socket wait is on (the socket is alive: its object is on the parked coroutine's stack).
    var waitSocket: Cosocket? {
        get { waitObject.map { unsafeDowncast($0, to: Cosocket.self) } }
        set { waitObject = newValue }
    }
    /// The semaphore a `sema:wait()` is queued on (alive: its object is on the parked coroutine's stack).
    var waitSemaphore: Semaphore? {
        get { waitObject.map { unsafeDowncast($0, to: Semaphore.self) } }
        set { waitObject = newValue }
    }
    static let budgetLimit: Int32 = 32
    /// The same for receives satisfied at once (several per request), counted down in `tl_receive_budget`.
    static let receiveBudgetLimit: Int32 = 256

    enum Kind: UInt8 {
        /// The session's entry thread: the handler, or a timer's callback.
        case entry
        /// `ngx.thread.spawn`: its parent is the thread that spawned it.
        case light
        /// The `ngx.on_abort` handler.
        case abort
    }

    enum Finish: UInt8 {
        /// Running, parked, or killed.
        case none
        /// Returned: its results are on its coroutine's stack.
        case returned
        /// Failed: its error value is on top of its coroutine's stack.
        case failed
    }

    enum Phase: UInt8 {
        case running
        case parked
        /// Woken from inside another running thread: resumes on the next iteration.
        case wakePosted
    }

    /// The suspension it is parked on, if parked.
    var parkedOn: (any Suspension.Type)? { phase == .parked ? suspension : nil }

    /// A thread's relations in `ngx.thread`.
    final class Family {
        unowned(unsafe) var parent: LuaThread?
        var child: LuaThread?
        var awaitedIn: UInt32 = 0
        var waitGeneration: UInt32 = 0
        var hasSpawned = false
    }

    private var madeFamily: Family {
        if let f = family { return f }
        let f = Family()
        family = f
        return f
    }

    /// A light thread: the thread that spawned it (it alone may wait for or kill it).
    var parent: LuaThread? {
        get { family?.parent }
        set { madeFamily.parent = newValue }
    }
    /// Parked on `SpawnWait`: the light thread it spawned, which runs before it resumes. Parked on
    /// `ThreadWait`: the light thread whose end woke it.
    var child: LuaThread? {
        get { family?.child }
        set { if newValue != nil || family != nil { madeFamily.child = newValue } }
    }
    /// A light thread: the `waitGeneration` of its parent's `ngx.thread.wait` that waits for it.
    var awaitedIn: UInt32 {
        get { family?.awaitedIn ?? 0 }
        set { madeFamily.awaitedIn = newValue }
    }
    /// Counts this thread's `ngx.thread.wait` calls (a child whose `awaitedIn` is older is not waited for).
    var waitGeneration: UInt32 {
        get { family?.waitGeneration ?? 0 }
        set { madeFamily.waitGeneration = newValue }
    }
    /// It spawned a light thread (only then does its end have children to orphan).
    var hasSpawned: Bool {
        get { family?.hasSpawned ?? false }
        set { madeFamily.hasSpawned = newValue }
    }

    init(runtime: NgxRuntime, session: Session, kind: Kind = .entry) {
        self.kind = kind
        sessionRef = Unmanaged.passUnretained(session)
        super.init()
    }

    /// Creates the coroutine running `handler` in its own global environment (falling back to `_G`), all
    /// inside one protected call. Returns the error message when it cannot.
    func create(_ handler: LuaHandler, vm: LuaVM, envMeta: Int32) -> String? {
        var failure: String?
        var thread: OpaquePointer?
        var threadRef: Int32 = -2
        let e = vm.protected { lua in
            if let message = handler.pushClosure(lua) {
                failure = message
                return
            }
            lua.newTable()
            lua.pushRef(envMeta)
            lua.setMetatable(-2)
            lua_setfenv(lua.L, -2)
            guard let co = lua_newthread(lua.L) else { return }
            lua.insert(at: -2)
            lua_xmove(lua.L, co, 1)
            thread = co
            threadRef = lua.ref()
        }
        if let e { return e.message }
        if let failure { return failure }
        co = thread
        ref = threadRef
        runsChunk = true
        return thread == nil ? "lua_newthread failed" : nil
    }

    /// Takes a coroutine made elsewhere (the `ngx.on_abort` handler's) and the registry reference keeping it.
    func adopt(_ coroutine: OpaquePointer, ref threadRef: Int32) {
        co = coroutine
        ref = threadRef
    }

    // MARK: waiting

    /// Parks the thread on `s`; returns what the API function returns so its Lua wrapper yields.
    /// Called from the API function running on this coroutine, once `s`'s wait is armed. Where the caller
    /// cannot yield (a metamethod, a gsub callback), the wait is undone (`cancel`, as for a killed thread)
    /// and the call raises "attempt to yield across C-call boundary": nothing is left armed behind a caught
    /// error (bytes a send queued still go out).
    func suspend(on s: any Suspension.Type) -> Int32 {
        let lua = Lua(caller ?? co!)
        guard lua_isyieldable(lua.L) != 0 else {
            s.cancel(self)
            return lua.error(NgxStrings.cannotYield)
        }
        park(on: s)
        NgxAPI.pushYieldSentinel(lua)
        return 1
    }

    /// Records the suspension without touching the coroutine's stack.
    func park(on s: any Suspension.Type) {
        suspension = s
        phase = .parked
        resultsPending = false
        outcome = .ready
    }

    /// What its suspension waits for may have happened (called by the connection side it waits on).
    @inline(__always) func suspensionReady() { if phase == .parked { suspension?.ready(self) } }
    /// The timer of the side it waits on passed.
    @inline(__always) func suspensionTimedOut() { if phase == .parked { suspension?.timedOut(self) } }

    /// The thread's own timer (a sleep, a posted run, a posted wake-up) fired.
    override func fire() {
        switch phase {
        case .parked: suspension?.timedOut(self)
        case .wakePosted: resumeWoken()
        case .running: break
        }
    }

    /// Ends the wait and resumes the coroutine; its wrapper then fetches the results. From inside another
    /// running thread the resume is posted to the next iteration instead of nesting.
    @inline(__always) func wake() {
        guard phase == .parked, !ended else { return }
        if NgxRuntime.current != nil {
            phase = .wakePosted
            loopRef._withUnsafeGuaranteedRef { $0.arm(self, afterMs: 0) }
            return
        }
        resumeWoken()
    }

    /// Like `wake()`, but always on the next iteration (a parent woken from inside its child's end).
    func wakeSoon() {
        guard phase == .parked, !ended else { return }
        phase = .wakePosted
        loopRef._withUnsafeGuaranteedRef { $0.arm(self, afterMs: 0) }
    }

    /// Its coroutine (nil once released).
    var coroutine: OpaquePointer? { co }

    @inline(__always) private func resumeWoken() {
        phase = .running
        resultsPending = true
        resume()
    }

    /// Runs the coroutine until it yields, returns or fails, then tells its session. A thread that spawned a
    /// light thread is parked on `SpawnWait`: the new thread runs first, then this one again, in this loop
    /// (not nested: spawning in a loop does not grow the C stack). `arguments`: values on a fresh coroutine's
    /// stack above its function, passed to it by this first resume.
    func resume(arguments: Int32 = 0) {
        sessionRef._withUnsafeGuaranteedRef { s in run(s, arguments) }
    }

    /// `resume` with the session at hand (the connection is the session: `Session` is a `Connection`). In line:
    /// `resume` is its one caller, so the hot path crosses one function boundary less per request.
    @inline(__always) private func run(_ s: Session, _ arguments: Int32) {
        var nargs = arguments
        budget = 0
        while let co, !ended {
            let previous = NgxRuntime.current
            let previousInput = tl_get_current_input()
            let previousOutput = tl_get_current_output()
            let previousLimit = tl_output_limit_value()
            let previousCoroutine = tl_get_running_coroutine()
            tl_set_running_coroutine(co)
            NgxRuntime.current = Unmanaged.passUnretained(self)
            publishConnection(s)
            let status = lua_resume(co, nargs)
            nargs = 0
            NgxRuntime.current = previous
            tl_set_current_input(previousInput)
            tl_set_current_output(previousOutput, previousLimit)
            tl_set_running_coroutine(previousCoroutine)
            switch status {
            case LUA_YIELD:
                // wait_next_request's plain park (Prelude.swift), with nothing buffered and nothing run since:
                // from the thread's own coroutine it yields nothing, from a user coroutine the sentinel. The
                // output goes out, the light session ends, and the thread parks or, with the next bytes
                // there already, runs on.
                var parks = tl_take_park_yielded() != 0
                if !parks {
                    parks = tl_yielded_park(co) != 0
                    lua_settop(co, 0)
                }
                if parks {
                    if NextRequestWait.afterYield(self, s, s) { continue }
                    return
                }
                if exiting { return withSession { $0.exit(from: self) } }
                if phase != .parked { PostedWait.postYielded(self) }  // a bare coroutine.yield(): run again next turn
                withConnection { c in  // what it printed goes out now; an empty input buffer goes back
                    c.flush()
                    c.releaseInputIfEmpty()
                }
                guard suspension == SpawnWait.self, let child else { return }
                child.resume()
                guard !ended, phase == .parked, suspension == SpawnWait.self else { return }
                phase = .running
                resultsPending = true
            case 0:
                finish = .returned
                return end()
            default:
                finish = .failed
                let what =
                    kind == .light
                    ? "lua user thread aborted: runtime error: " : "lua entry thread aborted: runtime error: "
                session.log(.error, what + errorTrace(co))
                return end()
            }
        }
    }

    /// Publishes the session connection's buffers to the Lua layer for this resume (`tl_current_input`,
    /// `tl_current_output`): only in a client session outside `log_by_lua*` (`restricted`: a timer's or the log
    /// phase's receive and print take the classic path, which refuses them), the output only while it is open.
    @inline(__always) private func publishConnection(_ s: Session) {
        tl_reset_receive_budget(LuaThread.receiveBudgetLimit)
        if s.restricted {
            tl_set_current_input(nil)
            tl_set_current_output(nil, 0)
            return
        }
        tl_set_current_input(s.inputAddress)
        let output: UnsafeMutablePointer<tl_buffer>? = s.outputIsOpen ? s.outputAddress : nil
        tl_set_current_output(output, Int32(s.sendLimit))
    }

    /// The message and traceback of a failed coroutine, built inside a protected call; in `stream { }` as
    /// stream-lua writes them (`ErrorTrace.swift`).
    private func errorTrace(_ co: OpaquePointer) -> String {
        let stream = session.server.config.isStream
        var text = NgxAPI.errorMessage(co, stream: stream)
        let runsChunk = runsChunk
        if let e = session.vm.protected({ lua in
            text = stream ? NgxAPI.streamErrorTrace(lua, co, chunk: runsChunk) : NgxAPI.errorTrace(lua, co)
        }) {
            session.log(.error, "lua error while building a traceback: " + e.message)
        }
        return text
    }

    /// Ends the thread: cancels its wait, drops the coroutine (a light thread that returned or failed keeps
    /// it, with its results, until its parent waits for it or the session ends), tells the session. Also used
    /// to kill it.
    func end() {
        guard !ended else { return }
        ended = true
        if phase == .parked { suspension?.cancel(self) }
        suspension = nil
        phase = .running
        child = nil
        // Kept alive to the end of the iteration: its resume() (or its parent's) may still be on the stack.
        loopRef._withUnsafeGuaranteedRef {
            $0.cancel(self)
            $0.releaseLater(self)
        }
        withSession { s in
            if kind != .light { s.orphan(children: self) }
            s.threadEnded(self)
        }
        if kind != .light || finish == .none { release() }
    }

    /// Drops the coroutine (a zombie light thread once waited for, killed, or its session ended).
    func release() {
        if ref != -2 {
            session.vm.lua.unref(ref)
            ref = -2
        }
        co = nil
    }

    /// The registry reference of its coroutine (-2 once released), for pushing it onto another stack.
    var coroutineRef: Int32 { ref }

    /// Runs `body` with the session's client connection, without reference counting (the hot path).
    @inline(__always) func withConnection<R>(_ body: (Connection) -> R) -> R {
        sessionRef._withUnsafeGuaranteedRef { $0.connectionRef._withUnsafeGuaranteedRef(body) }
    }

    /// Runs `body` with the session, without reference counting.
    @inline(__always) func withSession<R>(_ body: (Session) -> R) -> R { sessionRef._withUnsafeGuaranteedRef(body) }
}
