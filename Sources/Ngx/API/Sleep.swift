import LuaKit

/// `ngx.sleep(seconds)`: waits without blocking others, millisecond resolution; 0 yields once (the thread
/// runs again after the events and timers already due). Returns nothing. Context: process_by_lua*. Yields.
extension NgxAPI {
    static func injectSleep(_ lua: Lua) {
        lua.push(ngxSleep)
        lua.setField(-2, "sleep")
    }

    static let ngxSleep: LuaFunction = { L in
        let lua = Lua(L!)
        let argc = lua.top
        guard argc == 1 else { return lua.error(NgxStrings.sleepArgCount(argc)) }
        guard let sec = lua.coerceNumber(1) else {
            return lua.error(NgxStrings.badNumberArg(1, "sleep", got: lua.typeName(at: 1)))
        }
        // Milliseconds truncated before they are checked, as OpenResty's (ngx_int_t) (seconds * 1000).
        guard sec > -0.001 else { return lua.error(NgxStrings.sleepNegative) }  // also NaN
        let ms = sec < 1e15 ? max(0, Int64(sec * 1000)) : Int64(1) << 50  // math.huge: "forever"
        return withThread(lua, yielding: true) { t in
            t.loopRef._withUnsafeGuaranteedRef { $0.arm(t, afterMs: ms) }
            return t.suspend(on: SleepWait.self)
        }
    }
}

/// A sleeping thread: its own timer wakes it.
enum SleepWait: Suspension {
    static func ready(_ t: LuaThread) {}
    static func timedOut(_ t: LuaThread) { t.wake() }
    static func results(_ t: LuaThread, _ lua: Lua) -> Int32 { 0 }
    static func cancel(_ t: LuaThread) { t.loopRef._withUnsafeGuaranteedRef { $0.cancel(t) } }
}
