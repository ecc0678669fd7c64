import CLuaJIT
import LuaKit
import SharedDict

/// `ngx.shared.NAME` for each `lua_shared_dict NAME SIZE` (nil for an undeclared NAME; `pairs(ngx.shared)`
/// lists them), with OpenResty's methods, called as `dict:method(...)`:
///
/// ```
/// value, flags = dict:get(key)                 value, flags, stale = dict:get_stale(key)
/// ok, err, forcible = dict:set(key, value, exptime?, flags?)     (also safe_set, add, safe_add, replace)
/// ok, err, forcible = dict:delete(key)         newval, err, forcible = dict:incr(key, n, init?, init_ttl?)
/// len, err = dict:lpush(key, v) / rpush        v, err = dict:lpop(key) / rpop      len, err = dict:llen(key)
/// secs, err = dict:ttl(key)                    ok, err = dict:expire(key, exptime)
/// dict:flush_all()                             n = dict:flush_expired(max?)
/// keys = dict:get_keys(max?)   (1024 by default, 0 = all)      bytes = dict:capacity() / dict:free_space()
/// ```
/// Phases: any (`init_by_lua*`, `init_worker_by_lua*`, handlers). Never yields: each call holds the zone's
/// lock only inside the engine, and Lua values are pushed after it is released (strings are copied out into
/// one reused buffer). Failures return OpenResty's `nil|false, err` ("exists", "not found", "no memory",
/// "not a number", "value not a list", "value is a list", "bad value type", "nil key", "empty key", "key too
/// long"); misuse (a negative exptime in a store, a method called with `.`, a wrong argument count of a list
/// method, `flush_expired` or `get_keys`) raises. Expiry times are seconds with millisecond
/// resolution, measured on the loop's cached wall clock.
extension NgxAPI {
    /// The registry key of the metatable `{__index = methods}` every dictionary table of a VM shares.
    static let dictMetaKey = "tcplua.shared_dict"
    /// The zones the master mapped, by name: every VM built afterwards (a fresh VM for `lua_code_cache off`
    /// too) gets them as `ngx.shared.NAME`.
    nonisolated(unsafe) static var sharedZones: [(name: String, zone: DictZone)] = []
    /// Where string values are copied out of a zone (reused: reads allocate nothing but the Lua string).
    nonisolated(unsafe) static let dictBuffer = ValueBuffer()

    static func injectShared(_ lua: Lua) {
        let methods: [(String, LuaFunction)] = [
            ("get", dictGet), ("get_stale", dictGetStale), ("set", dictSet), ("safe_set", dictSafeSet),
            ("add", dictAdd), ("safe_add", dictSafeAdd), ("replace", dictReplace), ("delete", dictDelete),
            ("incr", dictIncr), ("lpush", dictLPush), ("rpush", dictRPush), ("lpop", dictLPop),
            ("rpop", dictRPop), ("llen", dictLLen), ("ttl", dictTTL), ("expire", dictExpire),
            ("flush_all", dictFlushAll), ("flush_expired", dictFlushExpired), ("get_keys", dictGetKeys),
            ("capacity", dictCapacity), ("free_space", dictFreeSpace),
        ]
        lua.newTable()
        lua.newTable(nrec: Int32(methods.count))
        for (name, f) in methods {
            lua.push(f)
            lua.setField(-2, name)
        }
        lua.setField(-2, "__index")
        lua_setfield(lua.L, LUA_REGISTRYINDEX, dictMetaKey)
        lua.newTable(nrec: Int32(sharedZones.count))
        for (name, zone) in sharedZones { addDict(lua, name: name, zone: zone) }
        lua.setField(-2, "shared")
    }

    /// Sets `t[name]` for the `ngx.shared` table `t` on top of the stack.
    static func addDict(_ lua: Lua, name: String, zone: DictZone) {
        lua.newTable(narr: 1)
        lua.pushLightUserdata(zone.base)
        lua.rawSetI(-2, 1)
        lua_getfield(lua.L, LUA_REGISTRYINDEX, dictMetaKey)
        lua.setMetatable(-2)
        lua.setField(-2, name)
    }

    static var dictNow: Int64 { NgxRuntime.shared.loop.clock.wallMs }

    // MARK: get, get_stale

    static let dictGet: LuaFunction = { L in get(Lua(L!), stale: false) }
    static let dictGetStale: LuaFunction = { L in get(Lua(L!), stale: true) }

    static func get(_ lua: Lua, stale: Bool) -> Int32 {
        let fn = stale ? "get_stale" : "get"
        return withDictKey(lua, fn) { dict, key in
            let item = dict.get(key, now: dictNow, stale: stale, into: dictBuffer)
            if item.value == .list { return pushFailure(lua, NgxStrings.valueIsList) }
            guard pushRead(lua, item.value) else { return 1 }
            if stale {
                if item.flags != 0 { lua.push(Int(item.flags)) } else { lua.pushNil() }
                lua.push(item.stale)
                return 3
            }
            if item.flags == 0 { return 1 }
            lua.push(Int(item.flags))
            return 2
        }
    }

    /// Pushes a value read from a zone; false (with nil pushed) when missing.
    static func pushRead(_ lua: Lua, _ value: DictRead) -> Bool {
        switch value {
        case .string(let n): lua.push(bytes: dictBuffer.bytes, count: n)
        case .number(let d): lua.push(d)
        case .boolean(let b): lua.push(b)
        case .missing, .list:
            lua.pushNil()
            return false
        }
        return true
    }

    // MARK: set, safe_set, add, safe_add, replace, delete

    static let dictSet: LuaFunction = { L in store(Lua(L!), "set", .set, safe: false) }
    static let dictSafeSet: LuaFunction = { L in store(Lua(L!), "safe_set", .set, safe: true) }
    static let dictAdd: LuaFunction = { L in store(Lua(L!), "add", .add, safe: false) }
    static let dictSafeAdd: LuaFunction = { L in store(Lua(L!), "safe_add", .add, safe: true) }
    static let dictReplace: LuaFunction = { L in store(Lua(L!), "replace", .replace, safe: false) }
    static let dictDelete: LuaFunction = { L in
        let lua = Lua(L!)
        lua.setTop(2)
        return store(lua, "delete", .set, safe: false)
    }

    static func store(_ lua: Lua, _ fn: String, _ mode: StoreMode, safe: Bool) -> Int32 {
        withDictKey(lua, fn) { dict, key in
            guard let exptime = exptimeArg(lua, 4) else { return lua.error(NgxStrings.badExptime) }
            var flags: UInt32 = 0
            if !lua.isNoneOrNil(5) {
                guard let f = lua.coerceNumber(5), f.isFinite else {
                    return lua.error(NgxStrings.numberExpected(4, fn, lua.typeName(at: 5)))
                }
                flags = UInt32(truncatingIfNeeded: Int64(max(min(f, 9e18), -9e18)))
            }
            let result: StoreResult
            switch lua.type(at: 3) {
            case .none, .nil:
                guard mode == .set else {
                    lua.push(false)
                    lua.push(NgxStrings.nilAddOrReplace)
                    lua.push(false)
                    return 3
                }
                result = dict.store(key, nil, mode: mode, safe: safe, now: dictNow)
            case .number:
                result = dict.store(
                    key,
                    .number(lua.toNumber(3)!),
                    exptime: exptime,
                    flags: flags,
                    mode: mode,
                    safe: safe,
                    now: dictNow
                )
            case .boolean:
                result = dict.store(
                    key,
                    .boolean(lua.toBool(3)),
                    exptime: exptime,
                    flags: flags,
                    mode: mode,
                    safe: safe,
                    now: dictNow
                )
            case .string:
                result = dict.store(
                    key,
                    .string(lua.bytes(3)!),
                    exptime: exptime,
                    flags: flags,
                    mode: mode,
                    safe: safe,
                    now: dictNow
                )
            default:
                return pushFailure(lua, NgxStrings.badValueTypeSoft)
            }
            lua.push(result.ok)
            if let e = result.error { lua.push(NgxStrings.dictError(e)) } else { lua.pushNil() }
            lua.push(result.forcible)
            return 3
        }
    }

    /// An expiry argument in ms: absent/nil is 0 (never); nil for a negative or non-numeric one.
    static func exptimeArg(_ lua: Lua, _ i: Int32) -> Int64? {
        if lua.isNoneOrNil(i) { return 0 }
        guard let s = lua.coerceNumber(i), s >= 0, !s.isNaN else { return nil }
        return Int64(min(s * 1000, 1e15))
    }
}
