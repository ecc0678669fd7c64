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
        injectShared(lua)
        lua.pushValue(at: -1)
        lua.setGlobal("ngx")
        lua.pop()
        installPrint(lua)
        BuiltinModules.install(lua)
    }

    /// The running session, if any (a strong reference: for APIs off the hot path).
    static var currentSession: Session? {
        guard let s = NgxRuntime.current?.takeUnretainedValue(), !s.closed else { return nil }
        return s
    }

    /// Runs `body` with the running session, without reference counting (the hot path), or raises
    /// "API disabled in the context of ..." outside a session. With `yielding`, the caller must also be the
    /// session's own coroutine, since the API will yield it.
    @inline(__always)
    static func withSession(_ lua: Lua, yielding: Bool = false, _ body: (Session) -> Int32) -> Int32 {
        guard let current = NgxRuntime.current else {
            return lua.error(NgxStrings.disabled(NgxRuntime.shared.phase.directiveName))
        }
        return current._withUnsafeGuaranteedRef { s in
            if s.closed { return lua.error(NgxStrings.disabled(NgxRuntime.shared.phase.directiveName)) }
            if yielding {
                if s.co != lua.L { return lua.error(NgxStrings.userCoroutine) }
                // Checked before any state is set: a yield that would fail (inside a metamethod, a sort
                // comparator, a gsub callback) must not leave a wait armed behind a caught error.
                if lua_isyieldable(lua.L) == 0 { return lua.error(NgxStrings.cannotYield) }
            }
            return body(s)
        }
    }
}
