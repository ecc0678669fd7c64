import CLuaJIT
import CShim
import LuaKit

/// Light threads, as OpenResty's `ngx.thread`:
///
/// ```
/// co = ngx.thread.spawn(fn, ...)        runs fn(...) at once in a new thread of the session, until it yields
/// ok, res1, ... = ngx.thread.wait(co1, co2, ...)   the first of them to end: true and its results, or false
///                                       and its error (only the parent may wait; nil, "already waited or killed")
/// ok, err = ngx.thread.kill(co)         "not user thread", "killer not parent", "already terminated", ...
/// ```
/// User coroutines (`coroutine.create/resume/wrap/yield`) may call every yielding API: the Lua layer
/// replaces `coroutine.resume` and `coroutine.wrap` so the wait parks the whole thread and the coroutine
/// resumes where it was once the wait ends.
/// A thread is its coroutine: `coroutine.status(co)` says "zombie" for one that ended and was not waited for.
/// The session ends when its entry thread and every light thread have ended, or at once on `ngx.exit()`; an
/// entry thread that fails kills the light threads; a light thread that fails is logged
/// (`lua user thread aborted: ...`) and ends alone. Context: process_by_lua*, content_by_lua*, timers.
/// spawn and wait yield. The Lua halves are in `threadLayer`.
extension NgxAPI {
    static func injectThread(_ lua: Lua) {
        lua.newTable()
        lua.setField(-2, "thread")
        runLayer(lua, threadLayer, chunkName: "=ngx.thread") {
            for f in [threadSpawn, threadWait, threadKill, threadStatus] { lua.push(f) }
            tl_push_park_sentinel(lua.L)
            return 5
        }
    }

    static let threadLayer = """
        local ngx, YIELD, results, yield, spawn, wait, kill, status, PARK = ...
        local co_create, co_status, select, unpack, type = coroutine.create, coroutine.status, select, unpack, type
        local getinfo = debug.getinfo
        local function is_c(fn) return getinfo(fn, "S").what == "C" end
        local thread = ngx.thread
        thread.spawn = function(fn, ...)
          if type(fn) ~= "function" or is_c(fn) then  -- a Lua function only, as ngx_lua's argument check
            error("bad argument #1 to 'spawn' (Lua function expected)", 2)
          end
          local co
          local n = select("#", ...)
          if n == 0 then
            co = co_create(fn)
          else
            local args = { ... }
            co = co_create(function() return fn(unpack(args, 1, n)) end)
          end
          if spawn(co) == YIELD then yield() return results() end
          return co
        end
        local function pass(a, ...)
          if a == YIELD then yield() return pass(results()) end
          return a, ...
        end
        thread.wait = function(...) return pass(wait(...)) end
        thread.kill = kill
        -- User coroutines cooperate with the yielding APIs, as OpenResty's do: an API called inside one parks the
        -- whole thread and yields YIELD (or PARK, wait_next_request's plain park); each coroutine.resume on the
        -- way passes that yield up to the server, and, once the thread is woken, resumes the coroutine it came
        -- from, which then fetches its results.
        local co_resume, co_yield, error = coroutine.resume, coroutine.yield, error
        local function relay(co, ok, ...)
          if ok and ((...) == YIELD or (...) == PARK) and co_status(co) == "suspended" then
            co_yield(...)
            return relay(co, co_resume(co))
          end
          return ok, ...
        end
        coroutine.resume = function(co, ...) return relay(co, co_resume(co, ...)) end
        local function unwrap(ok, ...)
          if ok then return ... end
          local e = ...
          if type(e) == "string" then error(e, 2) end
          error(e)
        end
        coroutine.wrap = function(f)
          local co = co_create(f)
          return function(...) return unwrap(relay(co, co_resume(co, ...))) end
        end
        coroutine.status = function(co)
          local s = co_status(co)
          if s == "dead" or s == "suspended" then return status(co) or s end
          return s
        end
        """

    /// `spawn(co)`: co, made by the Lua half, becomes a light thread of the running thread's session; the
    /// running thread parks on `SpawnWait` so the new one runs first.
    static let threadSpawn: LuaFunction = { L in
        let lua = Lua(L!)
        guard let co = lua_tothread(lua.L, 1) else { return lua.error(NgxStrings.threadExpected(1, "spawn")) }
        return withThread(lua, yielding: true, alwaysYields: true) { parent in
            let s = parent.session
            lua.pushValue(at: 1)
            let child = LuaThread(runtime: parent.runtime, session: s, kind: .light)
            child.adopt(co, ref: lua.ref())
            child.parent = parent
            parent.hasSpawned = true
            s.addLightThread(child)
            parent.child = child
            return parent.suspend(on: SpawnWait.self)
        }
    }

    static let threadWait: LuaFunction = { L in
        let lua = Lua(L!)
        let argc = lua.top
        guard argc >= 1 else { return lua.error(NgxStrings.waitNothing) }
        return withThread(lua, yielding: true) { parent in
            let s = parent.session
            var children: [LuaThread] = []
            for i in 1...argc {
                guard let co = lua_tothread(lua.L, i) else { return lua.error(NgxStrings.threadExpected(i, "wait")) }
                guard let c = s.lightThread(running: co) else {
                    if co == parent.coroutine || co == s.thread?.coroutine {
                        return lua.error(NgxStrings.waitNotUserThread)
                    }
                    lua.pushNil()
                    lua.push(NgxStrings.alreadyWaitedOrKilled)
                    return 2
                }
                guard c.parent === parent else { return lua.error(NgxStrings.waitNotParent) }
                if c.ended { return ThreadWait.push(c, into: lua, parent: parent) }
                children.append(c)
            }
            parent.waitGeneration &+= 1
            for c in children { c.awaitedIn = parent.waitGeneration }
            return parent.suspend(on: ThreadWait.self)
        }
    }

    static let threadKill: LuaFunction = { L in
        let lua = Lua(L!)
        guard let co = lua_tothread(lua.L, 1) else { return lua.error(NgxStrings.threadExpected(1, "kill")) }
        return withThread(lua) { killer in
            let s = killer.session
            func fail(_ message: String) -> Int32 {
                lua.pushNil()
                lua.push(message)
                return 2
            }
            guard let c = s.lightThread(running: co) else {
                if co == s.thread?.coroutine { return fail(NgxStrings.notUserThread) }
                return fail(NgxStrings.alreadyWaitedOrKilled)
            }
            guard c.parent === killer else { return fail(NgxStrings.killerNotParent) }
            if c.ended { return fail(NgxStrings.alreadyTerminated) }
            c.end()
            lua.push(1)
            return 1
        }
    }

    /// `coroutine.status`'s answer for a light thread: "zombie" (ended, not waited for), "running" (parked in
    /// a wait: it runs as far as Lua can tell), or nil for any other coroutine.
    static let threadStatus: LuaFunction = { L in
        let lua = Lua(L!)
        guard let co = lua_tothread(lua.L, 1), let current = NgxRuntime.current else { return 0 }
        let s = current.takeUnretainedValue().session
        guard let t = s.lightThread(running: co) else { return 0 }
        lua.push(t.ended ? "zombie" : "running")
        return 1
    }
}

/// A thread that spawned one: the new thread runs first (its parent's `resume` loop runs it), then the
/// parent resumes with the new thread's coroutine.
enum SpawnWait: Suspension {
    static func ready(_ t: LuaThread) {}
    static func timedOut(_ t: LuaThread) {}
    static func results(_ t: LuaThread, _ lua: Lua) -> Int32 {
        guard let c = t.child, c.coroutineRef != -2 else { return 0 }
        t.child = nil
        lua.pushRef(c.coroutineRef)
        return 1
    }
    static func cancel(_ t: LuaThread) { t.child = nil }
}

/// A thread in `ngx.thread.wait`: woken when the first of the threads it waits for ends.
enum ThreadWait: Suspension {
    static func ready(_ t: LuaThread) {}
    static func timedOut(_ t: LuaThread) {}
    static func results(_ t: LuaThread, _ lua: Lua) -> Int32 {
        guard let c = t.child else { return 0 }
        return push(c, into: lua, parent: t)
    }
    static func cancel(_ t: LuaThread) {
        t.child = nil
        t.waitGeneration &+= 1  // the children it waited for are no longer awaited
    }

    /// `true, results...` or `false, error` of the ended thread `c`, moved onto the waiting parent's stack;
    /// `c` is then forgotten.
    static func push(_ c: LuaThread, into lua: Lua, parent: LuaThread) -> Int32 {
        cancel(parent)
        guard let co = c.coroutine else {
            lua.pushNil()
            lua.push(NgxStrings.alreadyWaitedOrKilled)
            return 2
        }
        let failed = c.finish == .failed
        let n = failed ? min(lua_gettop(co), 1) : lua_gettop(co)
        guard lua_checkstack(lua.L, n + 2) != 0 else { return lua.error(NgxStrings.tooManyResults) }
        lua.push(!failed)
        lua_xmove(co, lua.L, n)
        parent.session.reap(c)
        return n + 1
    }
}

/// The strings of `ngx.thread` (OpenResty's).
extension NgxStrings {
    public static func threadExpected(_ i: Int32, _ fn: String) -> String {
        "bad argument #\(i) to '\(fn)' (lua thread expected)"
    }
    public static let waitNothing = "at least one coroutine should be specified"
    public static let waitNotUserThread = "attempt to wait on a coroutine that is not a user thread"
    public static let waitNotParent = "only the parent coroutine can wait on the thread"
    public static let alreadyWaitedOrKilled = "already waited or killed"
    public static let notUserThread = "not user thread"
    public static let killerNotParent = "killer not parent"
    public static let alreadyTerminated = "already terminated"
    public static let tooManyResults = "too many results to unpack"
}
