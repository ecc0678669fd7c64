import LuaKit

/// `ngx.exit([code])`: ends the session (connection closed, coroutine dropped); never returns.
/// `ngx.sleep(seconds)`: waits without blocking others, millisecond resolution; 0 yields once.
/// Context: process_by_lua*. Both yield.
extension NgxAPI {
    static func injectControl(_ lua: Lua) {
        lua.push(ngxExit)
        lua.setField(-2, "exit")
        lua.push(ngxSleep)
        lua.setField(-2, "sleep")
    }

    static let ngxExit: LuaFunction = { L in
        let lua = Lua(L!)
        return withSession(lua, yielding: true) { s in
            s.exiting = true
            return Lua.yield(0)
        }
    }

    static let ngxSleep: LuaFunction = { L in
        let lua = Lua(L!)
        let argc = lua.top
        guard argc == 1 else { return lua.error(NgxStrings.sleepArgCount(argc)) }
        guard let sec = lua.coerceNumber(1) else { return lua.error(NgxStrings.badNumberArg(1, "sleep")) }
        guard sec >= 0 else { return lua.error(NgxStrings.sleepNegative) }  // also NaN
        let ms = sec < 1e15 ? Int64((sec * 1000).rounded()) : Int64(1) << 50  // math.huge: "forever"
        return withSession(lua, yielding: true) { s in
            s.wait = .sleep
            s.runtime.loop.arm(s.timer, afterMs: ms)
            return Lua.yield(0)
        }
    }
}
