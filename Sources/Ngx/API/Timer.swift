import CLuaJIT
import CShim
import LuaKit

/// Timers, as OpenResty's `ngx.timer`:
///
/// ```
/// ok, err = ngx.timer.at(delay, fn, ...)      fn(premature, ...) once, after delay seconds (0: next iteration)
/// ok, err = ngx.timer.every(interval, fn, ...) fn(premature, ...) every interval seconds, until the worker stops
/// n = ngx.timer.running_count()               n = ngx.timer.pending_count()
/// ```
/// The callback runs in a session of its own with no client connection (its log lines say `context:
/// ngx.timer`, and the creator's client), and may use cosockets, `ngx.sleep`, light threads, shared dicts
/// and further timers; the client-facing APIs raise `API disabled in the context of ngx.timer`. On a graceful
/// stop or reload, pending timers run at once with `premature = true`. Returns 1, or `nil, "too many pending
/// timers"` (`lua_max_pending_timers`), or `nil, "process exiting"` for a delay while the worker stops.
/// Context: init_worker_by_lua*, handlers, timers. Never yields.
extension NgxAPI {
    static func injectTimer(_ lua: Lua) {
        lua.newTable()
        lua.push(timerAt)
        lua.setField(-2, "at")
        lua.push(timerEvery)
        lua.setField(-2, "every")
        lua.push(timerRunningCount)
        lua.setField(-2, "running_count")
        lua.push(timerPendingCount)
        lua.setField(-2, "pending_count")
        lua.setField(-2, "timer")
        // The function a timer's coroutine starts with: (callback table, premature).
        guard
            lua.load("local t, premature = ... return t[1](premature, unpack(t, 2, t.n + 1))", chunkName: "=ngx.timer")
        else { fatalError("ngx.timer launcher: \(lua.string(-1) ?? "?")") }
        tl_registry_store(lua.L, Int32(TL_KEY_TIMER_LAUNCHER))
    }

    static let timerAt: LuaFunction = { L in addTimer(Lua(L!), every: false) }
    static let timerEvery: LuaFunction = { L in addTimer(Lua(L!), every: true) }

    static let timerRunningCount: LuaFunction = { L in
        Lua(L!).push(Double(NgxRuntime.shared.runningTimerCount))
        return 1
    }

    static let timerPendingCount: LuaFunction = { L in
        Lua(L!).push(Double(NgxRuntime.shared.pendingTimerCount))
        return 1
    }

    static func addTimer(_ lua: Lua, every: Bool) -> Int32 {
        let name = every ? "every" : "at"
        guard lua.top >= 2 else { return lua.error(NgxStrings.timerArgCount(lua.top)) }
        // As OpenResty reads the delay: a number or a numeric string (`coerceNumber`, which never raises), in
        // whole milliseconds (truncated) before the zero check.
        guard let delay = lua.coerceNumber(1) else {
            return lua.error(NgxStrings.timerNumberExpected(name, lua.typeName(at: 1)))
        }
        // OpenResty has no range check: a negative delay becomes an unsigned timer key that is already due, so
        // `at` runs at once; `every` would then run without pause, which is refused here (as NaN is).
        guard !delay.isNaN, !(every && delay < 0) else { return lua.error(NgxStrings.timerInvalidDelay) }
        let ms = delay <= 0 ? 0 : delay < 1e15 ? Int64(delay * 1000) : Int64(1) << 50
        if every && ms == 0 { return lua.error(NgxStrings.timerZeroInterval) }
        guard lua.type(at: 2) == .function, lua_iscfunction(lua.L, 2) == 0 else {
            return lua.error(NgxStrings.timerFunctionExpected(name))
        }
        let rt = NgxRuntime.shared!
        if rt.phase == .initByLua { return lua.error(NgxStrings.disabled(Phase.initByLua.directiveName)) }
        if rt.exiting && (ms > 0 || delay < 0) {  // OpenResty's unsigned delay > 0
            lua.pushNil()
            lua.push(NgxStrings.processExiting)
            return 2
        }
        if rt.pendingTimerCount >= rt.maxPendingTimers {
            lua.pushNil()
            lua.push(NgxStrings.tooManyPendingTimers)
            return 2
        }
        let argc = lua.top
        lua.newTable(narr: argc - 1, nrec: 1)
        for i in 2...argc {
            lua.pushValue(at: i)
            lua.rawSetI(-2, i - 1)
        }
        lua.push(Double(argc - 2))
        lua.setField(-2, "n")
        let ref = lua.ref()
        let session = currentSession
        let timer = LuaTimer(
            runtime: rt,
            vm: session?.vm ?? rt.vm,
            ref: ref,
            intervalMs: every ? max(ms, 1) : 0,
            origin: session,
            server: rt.timerServer
        )
        rt.addPending(timer, afterMs: ms)
        lua.push(1)
        return 1
    }
}

/// The strings of `ngx.timer` (OpenResty's).
extension NgxStrings {
    public static func timerNumberExpected(_ fn: String, _ type: String) -> String {
        "bad argument #1 to '\(fn)' (number expected, got \(type))"
    }
    public static func timerArgCount(_ n: Int32) -> String { "expecting at least 2 arguments but got \(n)" }
    public static let timerInvalidDelay = "invalid delay"
    public static let timerZeroInterval = "delay cannot be zero"
    public static func timerFunctionExpected(_ fn: String) -> String {
        "bad argument #2 to '\(fn)' (Lua function expected)"
    }
    public static let processExiting = "process exiting"
    public static let tooManyPendingTimers = "too many pending timers"
}
