import CLuaJIT
import CShim
import LuaKit

/// `local semaphore = require "ngx.semaphore"` (lua-resty-core's module, built in):
///
/// ```
/// sema = semaphore.new(n?)        ok = sema:post(n?)       n = sema:count()
/// ok, err = sema:wait(seconds)    true; nil, "timeout" at once with seconds = 0; false, "timeout" after waiting
/// ```
/// Shared by every thread and timer of the worker. Misuse raises lua-resty-core's errors ("not a semaphore
/// instance", "no negative number", "positive number required"). Context: wait in handlers and timers (it
/// yields); the rest anywhere.
/// The Lua half is the built-in module `ngx.semaphore`; its Swift halves are in the registry.
extension NgxAPI {
    static let semaphoreKey = "tcplua.semaphore"
    static let semaphoreMetaKey = "tcplua.semaphore_ud"

    static func injectSemaphore(_ lua: Lua) {
        _ = luaL_newmetatable(lua.L, semaphoreMetaKey)
        lua.push(semaphoreGC)
        lua.setField(-2, "__gc")
        tl_registry_store(lua.L, Int32(TL_KEY_SEMAPHORE_META))
        lua.newTable()
        for (i, f) in [semaNew, semaPost, semaCount, semaWait, ngxResults].enumerated() {
            lua.push(f)
            lua.rawSetI(-2, Int32(i + 1))
        }
        pushYieldSentinel(lua)
        lua.rawSetI(-2, 6)
        pushAPIYield(lua)
        lua.rawSetI(-2, 7)
        lua.setField(LUA_REGISTRYINDEX, semaphoreKey)
    }

    static let semaphoreModule = """
        local api = debug.getregistry()["tcplua.semaphore"]
        local new, post, count, wait, results, YIELD, yield = unpack(api, 1, 7)
        local type, tonumber, setmetatable, error = type, tonumber, setmetatable, error
        local _M = { version = "0.1.27" }
        local mt = { __index = _M }
        function _M.new(n)
          n = tonumber(n) or 0
          if n < 0 then error("no negative number", 2) end
          return setmetatable({ sem = new(n) }, mt)
        end
        function _M.wait(self, seconds)
          if type(self) ~= "table" or type(self.sem) ~= "userdata" then error("not a semaphore instance", 2) end
          local ms = tonumber(seconds) * 1000
          if ms < 0 then error("no negative number", 2) end
          local ok, err = wait(self.sem, ms)
          if ok == YIELD then  -- woken: two values, as lua-resty-core's `ok, err = co_yield() return ok, err`
            yield()
            local r, e = results()
            return r, e
          end
          if ok then return ok end  -- lua-resty-core's `return true`: one value
          return ok, err
        end
        function _M.post(self, n)
          if type(self) ~= "table" or type(self.sem) ~= "userdata" then error("not a semaphore instance", 2) end
          local num = n and tonumber(n) or 1
          if num < 1 then error("positive number required", 2) end
          post(self.sem, num)
          return true
        end
        function _M.count(self)
          if type(self) ~= "table" or type(self.sem) ~= "userdata" then error("not a semaphore instance", 2) end
          return count(self.sem)
        end
        return _M
        """

    /// The Swift object behind a semaphore userdata at `i`.
    private static func semaphore(_ lua: Lua, _ i: Int32) -> Semaphore? {
        guard let p = semaphoreBlock(lua, i) else { return nil }
        return Unmanaged<Semaphore>.fromOpaque(p.load(as: UnsafeRawPointer.self)).takeUnretainedValue()
    }

    /// The userdata's block if `i` is a semaphore userdata (compared by metatable: nothing raises).
    private static func semaphoreBlock(_ lua: Lua, _ i: Int32) -> UnsafeMutableRawPointer? {
        guard lua.type(at: i) == .userdata, let p = lua.toUserdata(i), lua_getmetatable(lua.L, i) != 0 else {
            return nil
        }
        tl_registry_push(lua.L, Int32(TL_KEY_SEMAPHORE_META))
        let same = lua_rawequal(lua.L, -1, -2) != 0
        lua.pop(2)
        return same ? p : nil
    }

    static let semaNew: LuaFunction = { L in
        let lua = Lua(L!)
        let n = Int(min(lua.toNumber(1) ?? 0, Double(Int32.max)))
        guard let block = lua_newuserdata(lua.L, MemoryLayout<UnsafeRawPointer>.size) else { return 0 }
        block.storeBytes(
            of: UnsafeRawPointer(Unmanaged.passRetained(Semaphore(n)).toOpaque()),
            as: UnsafeRawPointer.self
        )
        tl_registry_push(lua.L, Int32(TL_KEY_SEMAPHORE_META))
        lua.setMetatable(-2)
        return 1
    }

    static let semaphoreGC: LuaFunction = { L in
        let lua = Lua(L!)
        guard let p = lua.toUserdata(1) else { return 0 }
        Unmanaged<Semaphore>.fromOpaque(p.load(as: UnsafeRawPointer.self)).release()
        return 0
    }

    static let semaPost: LuaFunction = { L in
        let lua = Lua(L!)
        guard let s = semaphore(lua, 1) else { return lua.error(NgxStrings.notSemaphore) }
        s.post(Int(min(lua.toNumber(2) ?? 1, Double(Int32.max))))
        return 0
    }

    static let semaCount: LuaFunction = { L in
        let lua = Lua(L!)
        guard let s = semaphore(lua, 1) else { return lua.error(NgxStrings.notSemaphore) }
        lua.push(s.count)
        return 1
    }

    static let semaWait: LuaFunction = { L in
        let lua = Lua(L!)
        guard let s = semaphore(lua, 1) else { return lua.error(NgxStrings.notSemaphore) }
        let ms = lua.toNumber(2) ?? 0
        if s.take() {
            lua.push(true)
            return 1
        }
        if ms < 1 {
            lua.pushNil()
            lua.push(NgxStrings.timeout)
            return 2
        }
        return withThread(lua, yielding: true) { t in
            s.enqueue(t)
            let wait = ms < 1e15 ? Int64(ms.rounded()) : Int64(1) << 50
            t.loopRef._withUnsafeGuaranteedRef { $0.arm(t, afterMs: wait) }
            return t.suspend(on: SemaphoreWait.self)
        }
    }
}

extension NgxStrings {
    public static let notSemaphore = "not a semaphore instance"
}
