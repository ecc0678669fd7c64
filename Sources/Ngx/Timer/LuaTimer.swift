import CLuaJIT
import CShim
import EventLoop
import LuaKit

/// A pending `ngx.timer.at`/`ngx.timer.every` callback: the registry reference of `{fn, args..., n = #args}`,
/// the VM it lives in, and who created it (for the log lines of its run: `context: ngx.timer, client: ...`).
/// On expiry the runtime runs it in a session of its own (`NgxRuntime.runTimer`); an `every` timer is armed
/// again first, as OpenResty does, so a slow callback does not delay the next run.
///
///     pending ──expiry──▶ running (a timer session: its entry thread, light threads, cosockets) ──▶ ended
///        └── graceful stop: runs at once with premature = true
final class LuaTimer: Timer {
    unowned(unsafe) let runtime: NgxRuntime
    let vm: LuaVM
    /// `{fn, arg1, ..., n = argc}` in `vm`'s registry.
    let ref: Int32
    /// `ngx.timer.every`'s interval; 0 for `ngx.timer.at`.
    let intervalMs: Int64
    /// The creator's server (its error log and socket defaults) and client, copied from its session.
    let server: ServerRuntime
    let address: UInt32
    let port: UInt16
    let listenIndex: Int
    let remoteText: String?
    /// Run because the worker is stopping, not because the delay passed.
    var premature = false
    /// Links in the runtime's list of pending timers (not owning: a pending timer is armed, and the loop's timer
    /// heap holds it).
    unowned(unsafe) var next: LuaTimer?
    unowned(unsafe) var previous: LuaTimer?

    init(
        runtime: NgxRuntime,
        vm: LuaVM,
        ref: Int32,
        intervalMs: Int64,
        origin: Session?,
        server: ServerRuntime
    ) {
        self.runtime = runtime
        self.vm = vm
        self.ref = ref
        self.intervalMs = intervalMs
        self.server = origin?.server ?? server
        address = origin?.address ?? 0
        port = origin?.port ?? 0
        listenIndex = origin?.listenIndex ?? -1
        remoteText = origin?.remoteText
        super.init()
    }

    override func fire() { runtime.timerExpired(self) }

    /// "content_by_lua(nginx.conf:12):3", where the callback was defined (for the running-timers alert).
    func functionSource() -> String {
        var text = "?"
        _ = vm.protected { [ref] lua in
            lua.pushRef(ref)
            lua.rawGetI(-1, 1)
            var ar = lua_Debug()
            if lua_getinfo(lua.L, ">S", &ar) != 0 {
                let src = ar.source.map { String(cString: $0) } ?? "?"
                text = (src.hasPrefix("@") || src.hasPrefix("=") ? String(src.dropFirst()) : src) + ":\(ar.linedefined)"
            }
        }
        return text
    }
}

extension NgxRuntime {
    /// Schedules `timer` after `ms` and counts it pending.
    func addPending(_ timer: LuaTimer, afterMs ms: Int64) {
        timer.next = pendingTimers
        pendingTimers?.previous = timer
        pendingTimers = timer
        pendingTimerCount += 1
        loop.arm(timer, afterMs: ms)
    }

    private func removePending(_ timer: LuaTimer) {
        if let p = timer.previous { p.next = timer.next } else { pendingTimers = timer.next }
        timer.next?.previous = timer.previous
        timer.next = nil
        timer.previous = nil
        pendingTimerCount -= 1
    }

    /// A timer's delay passed (or the worker is stopping): its callback runs in a new timer session, unless
    /// `lua_max_running_timers` callbacks are running already (then it is dropped, logged at `[alert]`).
    func timerExpired(_ timer: LuaTimer) {
        removePending(timer)
        let again = timer.intervalMs > 0 && !exiting && !timer.premature
        defer {
            if again {
                addPending(timer, afterMs: timer.intervalMs)
            } else {
                timer.vm.lua.unref(timer.ref)
            }
        }
        if runningTimerCount >= maxRunningTimers {
            log.log(
                .alert,
                "lua failed to run timer with function defined at \(timer.functionSource()): "
                    + "\(maxRunningTimers) lua_max_running_timers are not enough"
            )
            return
        }
        connectionCounter += 1
        let session = Session(
            fd: -1,
            sendTimeoutMs: 0,
            number: connectionCounter,
            address: timer.address,
            port: timer.port,
            server: timer.server,
            listenIndex: timer.listenIndex,
            runtime: self,
            vm: timer.vm,
            envMeta: -2,
            isTimer: true
        )
        session.remoteText = timer.remoteText
        var made: (OpaquePointer, Int32)?
        let premature = timer.premature
        if let e = timer.vm.protected({ [ref = timer.ref] lua in
            tl_registry_push(lua.L, Int32(TL_KEY_TIMER_LAUNCHER))
            guard let co = lua_newthread(lua.L) else { return }
            lua.insert(at: -2)
            lua.pushRef(ref)
            lua.push(premature)
            lua_xmove(lua.L, co, 3)  // a fresh coroutine has room for 3 values: nothing grows
            made = (co, lua.ref())
        }) {
            log.log(.error, "failed to run a timer: " + e.message)
            return
        }
        guard let (co, coRef) = made else { return }
        runningTimerCount += 1
        link(session)
        session.runTimer(co, ref: coRef)
    }

    /// A timer session ended.
    func timerEnded() { runningTimerCount -= 1 }

    /// A graceful stop: every pending timer runs now with `premature = true` (an `every` timer is not armed
    /// again).
    func abortPendingTimers() {
        var all: [LuaTimer] = []  // those pending now: a 0-delay timer a premature callback creates runs normally
        var t = pendingTimers
        while let x = t {
            all.append(x)
            t = x.next
        }
        for x in all {
            loop.cancel(x)
            x.premature = true
            timerExpired(x)
        }
    }
}

extension Session {
    /// Runs a timer's callback (the launcher, its table and `premature` on `co`) as this session's entry thread.
    func runTimer(_ co: OpaquePointer, ref: Int32) {
        let t = LuaThread(runtime: runtime, session: self)
        t.adopt(co, ref: ref)
        thread = t
        t.resume(arguments: 2)
    }
}
