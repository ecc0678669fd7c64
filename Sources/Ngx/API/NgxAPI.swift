import CLuaJIT
import LuaKit

/// Builds the `ngx` table, one area at a time (as OpenResty's `inject_*_api` functions do), and the
/// globals and built-in modules around it. This is the one place that lists what Lua can reach.
enum NgxAPI {
    static func install(_ lua: Lua) {
        lua.newTable()
        injectConstants(lua)
        injectOutput(lua)
        injectInput(lua)
        injectControl(lua)
        injectLog(lua)
        injectTime(lua)
        lua.pushValue(at: -1)
        lua.setGlobal("ngx")
        lua.pop()
        installPrint(lua)
        BuiltinModules.install(lua)
    }

    /// The running session, or nil with an error message pushed (for APIs that need one).
    static func session(_ lua: Lua) -> Session? {
        let rt = NgxRuntime.shared!
        if let s = rt.current, !s.closed { return s }
        lua.push(NgxStrings.disabled(rt.phase.directiveName))
        return nil
    }

    /// The running session, also checking that the caller is its own coroutine (for APIs that yield).
    static func yieldableSession(_ lua: Lua) -> Session? {
        guard let s = session(lua) else { return nil }
        if s.co != lua.L {
            lua.push(NgxStrings.userCoroutine)
            return nil
        }
        return s
    }
}
