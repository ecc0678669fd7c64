import CLuaJIT
import CShim
import LuaKit

/// Builds the `ngx` table, one area at a time (as OpenResty's `inject_*_api` functions do), and the
/// globals and built-in modules around it. This is the one place that lists what Lua can reach.
/// Runs inside `LuaVM.protected` (it allocates).
enum NgxAPI {
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
        injectSocket(lua)
        injectRegex(lua)
        injectStringHelpers(lua)
        lua.pushValue(at: -1)
        lua.setGlobal("ngx")
        installYieldingWrappers(lua)
        lua.pop()
        installPrint(lua)
        BuiltinModules.install(lua)
    }

    /// The API functions that may wait, as Lua wrappers over their Swift halves: the Swift half either
    /// returns its results at once, or parks the thread and returns the yield sentinel; the wrapper then
    /// yields (with the `coroutine.yield` captured here, before any user code) and, once resumed, fetches the
    /// results inside the running coroutine. So the loop never pushes a value onto a parked coroutine.
    static let wrappers = """
        local ngx, YIELD, results, yield = ...
        local receive, print, say, wait_next_request, sleep, exit =
          ngx.receive, ngx.print, ngx.say, ngx.wait_next_request, ngx.sleep, ngx.exit
        ngx.receive = function(...)
          local a, b, c = receive(...)
          if a == YIELD then yield() return results() end
          return a, b, c
        end
        ngx.print = function(...)
          local a, b = print(...)
          if a == YIELD then yield() return results() end
          return a, b
        end
        ngx.say = function(...)
          local a, b = say(...)
          if a == YIELD then yield() return results() end
          return a, b
        end
        ngx.wait_next_request = function()
          if wait_next_request() == YIELD then yield() return results() end
        end
        ngx.sleep = function(...)
          if sleep(...) == YIELD then yield() return results() end
        end
        ngx.exit = function(...)
          exit(...)
          yield()
        end
        """

    /// Replaces the yielding functions of the `ngx` table on top of the stack by their Lua wrappers.
    static func installYieldingWrappers(_ lua: Lua) {
        guard lua.load(wrappers, chunkName: "=ngx") else { fatalError("ngx wrappers: \(lua.string(-1) ?? "?")") }
        lua.pushValue(at: -2)
        pushYieldSentinel(lua)
        lua.push(ngxResults)
        lua.getGlobal("coroutine")
        lua.getField(-1, "yield")
        lua.remove(at: -2)
        if let message = lua.pcallTraceback(nargs: 4, nresults: 0) { fatalError("ngx wrappers: \(message)") }
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
            guard let s = t.resultOf else { return 0 }
            t.resultOf = nil
            return s.results(t, lua)
        }
    }

    /// The running thread's session, if any (a strong reference: for APIs off the hot path).
    static var currentSession: Session? {
        NgxRuntime.current?.takeUnretainedValue().session
    }

    /// Runs `body` with the running thread, without reference counting (the hot path), or raises
    /// "API disabled in the context of ..." outside one. With `yielding`, the caller must also be the
    /// thread's own coroutine, where it can yield, since the API will park it.
    @inline(__always)
    static func withThread(_ lua: Lua, yielding: Bool = false, _ body: (LuaThread) -> Int32) -> Int32 {
        guard let current = NgxRuntime.current else {
            return lua.error(NgxStrings.disabled(NgxRuntime.shared.phase.directiveName))
        }
        return current._withUnsafeGuaranteedRef { t in
            if yielding {
                if !t.owns(lua.L) { return lua.error(NgxStrings.userCoroutine) }
                // Checked before any state is set: a yield that would fail (inside a metamethod, a sort
                // comparator, a gsub callback) must not leave a wait armed behind a caught error.
                if lua_isyieldable(lua.L) == 0 { return lua.error(NgxStrings.cannotYield) }
            }
            return body(t)
        }
    }
}
