import CLuaJIT
import CShim
import LuaKit

/// Builds the `ngx` table, one area at a time (as OpenResty's `inject_*_api` functions do), and the
/// globals and built-in modules around it. This is the one place that lists what Lua can reach.
/// Runs inside `LuaVM.protected` (it allocates).
public enum NgxAPI {
    static func install(_ lua: Lua) {
        lua.newTable()
        injectConstants(lua)
        injectOutput(lua)
        injectInput(lua)
        injectControl(lua)
        injectSleep(lua)
        injectLog(lua)
        injectTime(lua)
        injectShared(lua)
        injectWorker(lua)
        injectAbort(lua)
        injectSocket(lua)
        injectRegex(lua)
        injectStringHelpers(lua)
        injectContext(lua)
        injectDigest(lua)
        injectStringCoercions(lua)
        injectTimer(lua)
        injectThread(lua)
        injectSemaphore(lua)
        injectArgs(lua, prefix: NgxRuntime.shared?.prefix ?? "")
        lua.pushValue(at: -1)
        lua.setGlobal("ngx")
        installPrelude(lua)
        lua.pop()
        installPrint(lua)
        BuiltinModules.install(lua)
    }

    /// The light userdata a Swift half returns to mean "yield, then fetch the results".
    @inline(__always) static func pushYieldSentinel(_ lua: Lua) {
        tl_push_yield_sentinel(lua.L)
    }

    /// The results of the wait the running thread was woken from (called by the wrappers only).
    static let ngxResults: LuaFunction = { L in
        let lua = Lua(L!)
        guard let current = NgxRuntime.current else { return 0 }
        return current._withUnsafeGuaranteedRef { t in
            guard t.resultsPending, let s = t.suspension else { return 0 }
            t.resultsPending = false
            return s.results(t, lua)
        }
    }

    /// The running thread's session, if any (a strong reference: for APIs off the hot path).
    static var currentSession: Session? {
        NgxRuntime.current?.takeUnretainedValue().session
    }

    /// Runs `body` with the running thread, without reference counting (the hot path), or raises
    /// "API disabled in the context of ..." outside one. With `yielding`, the API may park the thread: it is
    /// refused where nothing may wait (`log_by_lua*`), and where the caller cannot yield (a metamethod, a
    /// sort comparator, a gsub callback) only a call that has to wait raises (`LuaThread.suspend`): one that
    /// can answer at once answers, as OpenResty's do. With `alwaysYields` (spawn, exit) that is checked
    /// first. With `client`, the API needs the client connection: a timer has none.
    @inline(__always)
    static func withThread(
        _ lua: Lua,
        yielding: Bool = false,
        alwaysYields: Bool = false,
        client: Bool = false,
        _ body: (LuaThread) -> Int32
    ) -> Int32 {
        guard let current = NgxRuntime.current else {
            return lua.error(NgxStrings.disabled(NgxRuntime.shared.phase.directiveName))
        }
        return current._withUnsafeGuaranteedRef { t in
            if client || yielding, t.withSession({ $0.restricted }), let refused = t.session.refusal(client: client) {
                return lua.error(NgxStrings.disabled(refused))
            }
            // Checked before any state is set for an API that always yields. A user coroutine may yield: the
            // thread layer's coroutine.resume passes the API's yield up (API/Thread.swift).
            if alwaysYields && lua_isyieldable(lua.L) == 0 { return lua.error(NgxStrings.cannotYield) }
            t.caller = lua.L
            return body(t)
        }
    }
}
