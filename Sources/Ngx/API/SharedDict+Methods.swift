import CLuaJIT
import LuaKit
import SharedDict

/// `ngx.shared.DICT`'s counter, list, expiry and zone methods (the area's header is in SharedDict.swift), and
/// the argument checks every method shares.
extension NgxAPI {
    // MARK: incr

    static let dictIncr: LuaFunction = { L in
        let lua = Lua(L!)
        return withDictKey(lua, "incr") { dict, key in
            guard let delta = lua.coerceNumber(3) else {
                return lua.error(NgxStrings.numberExpected(2, "incr", lua.typeName(at: 3)))
            }
            var initial: Double?
            if lua.toBool(4) {  // resty.core tests `if init then`: false is no init
                guard let i = lua.coerceNumber(4) else { return lua.error(NgxStrings.badInit(lua.typeName(at: 4))) }
                initial = i
            }
            var ttl: Int64 = 0
            if !lua.isNoneOrNil(5) {
                guard let t = exptimeArg(lua, 5) else { return lua.error(NgxStrings.badInitTTL) }
                guard initial != nil else { return lua.error(NgxStrings.initRequired) }
                ttl = t
            }
            switch dict.incr(key, by: delta, initial: initial, initialTTL: ttl, now: dictNow) {
            case .success(let r):
                lua.push(r.value)
                guard initial != nil else { return 1 }
                lua.pushNil()
                lua.push(r.forcible)
                return 3
            case .failure(let e):
                return pushFailure(lua, e)
            }
        }
    }

    // MARK: lists

    static let dictLPush: LuaFunction = { L in push(Lua(L!), "lpush", left: true) }
    static let dictRPush: LuaFunction = { L in push(Lua(L!), "rpush", left: false) }
    static let dictLPop: LuaFunction = { L in pop(Lua(L!), "lpop", left: true) }
    static let dictRPop: LuaFunction = { L in pop(Lua(L!), "rpop", left: false) }

    /// The list methods are C functions in stream-lua that count their arguments (the object included)
    /// before anything else.
    static func listArgCount(_ lua: Lua, _ n: Int32) -> Int32? {
        lua.top == n ? nil : lua.error(NgxStrings.listArgCount(n, lua.top))
    }

    static func push(_ lua: Lua, _ fn: String, left: Bool) -> Int32 {
        if let e = listArgCount(lua, 3) { return e }
        return withDictKey(lua, fn) { dict, key in
            let value: DictValue
            switch lua.type(at: 3) {
            case .number: value = .number(lua.toNumber(3)!)
            case .string: value = .string(lua.bytes(3)!)
            default: return pushFailure(lua, NgxStrings.badValueTypeSoft)
            }
            switch dict.push(key, value, left: left, now: dictNow) {
            case .success(let n):
                lua.push(n)
                return 1
            case .failure(let e):
                return pushFailure(lua, e)
            }
        }
    }

    static func pop(_ lua: Lua, _ fn: String, left: Bool) -> Int32 {
        if let e = listArgCount(lua, 2) { return e }
        return withDictKey(lua, fn) { dict, key in
            switch dict.pop(key, left: left, now: dictNow, into: dictBuffer) {
            case .success(let v):
                _ = pushRead(lua, v)
                return 1
            case .failure(let e):
                return pushFailure(lua, e)
            }
        }
    }

    static let dictLLen: LuaFunction = { L in
        let lua = Lua(L!)
        if let e = listArgCount(lua, 2) { return e }
        return withDictKey(lua, "llen") { dict, key in
            switch dict.llen(key, now: dictNow) {
            case .success(let n):
                lua.push(n)
                return 1
            case .failure(let e):
                return pushFailure(lua, e)
            }
        }
    }

    // MARK: ttl, expire

    static let dictTTL: LuaFunction = { L in
        let lua = Lua(L!)
        return withDictKey(lua, "ttl") { dict, key in
            switch dict.ttl(key, now: dictNow) {
            case .success(let ms):
                lua.push(Double(ms) / 1000)
                return 1
            case .failure(let e):
                return pushFailure(lua, e)
            }
        }
    }

    static let dictExpire: LuaFunction = { L in
        let lua = Lua(L!)
        return withDictKey(lua, "expire") { dict, key in
            // resty.core refuses only a missing exptime; the zone takes one <= 0 as "never expires".
            guard lua.toBool(3), let s = lua.coerceNumber(3), !s.isNaN else { return lua.error(NgxStrings.badExptime) }
            let ms = Int64(max(min(s * 1000, 1e15), 0))
            if let e = dict.expire(key, exptime: ms, now: dictNow) { return pushFailure(lua, e) }
            lua.push(true)
            return 1
        }
    }

    // MARK: the zone

    static let dictFlushAll: LuaFunction = { L in
        withDict(Lua(L!)) { dict in
            dict.flushAll()
            return 0
        }
    }

    static let dictFlushExpired: LuaFunction = { L in
        let lua = Lua(L!)
        if lua.top < 1 || lua.top > 2 { return lua.error(NgxStrings.maxArgCount(lua.top)) }
        return withDict(lua) { dict in
            guard let max = countArg(lua, "flush_expired", default: 0) else { return Lua.raise }
            lua.push(dict.flushExpired(max: max, now: dictNow))
            return 1
        }
    }

    static let dictGetKeys: LuaFunction = { L in
        let lua = Lua(L!)
        if lua.top < 1 || lua.top > 2 { return lua.error(NgxStrings.maxArgCount(lua.top)) }
        return withDict(lua) { dict in
            guard let max = countArg(lua, "get_keys", default: 1024) else { return Lua.raise }
            let keys = dict.keys(max: max, now: dictNow)
            lua.newTable(narr: Int32(clamping: keys.count))
            for (i, k) in keys.enumerated() {
                k.withUnsafeBytes { lua.push(bytes: $0.baseAddress, count: $0.count) }
                lua.rawSetI(-2, Int32(i + 1))
            }
            return 1
        }
    }

    static let dictCapacity: LuaFunction = { L in
        let lua = Lua(L!)
        return withDict(lua) { dict in
            lua.push(dict.capacity)
            return 1
        }
    }

    static let dictFreeSpace: LuaFunction = { L in
        let lua = Lua(L!)
        return withDict(lua) { dict in
            lua.push(dict.freeSpace)
            return 1
        }
    }

    // MARK: arguments

    /// The `max` of `flush_expired`/`get_keys` (stream-lua's C functions, which count their arguments
    /// first): absent gives `default`; present, it must be a number (or a numeric string); negative gives 0
    /// (all). Nil with the message pushed when it is not a number.
    static func countArg(_ lua: Lua, _ fn: String, default value: Int) -> Int? {
        if lua.top < 2 { return value }
        guard let n = lua.coerceNumber(2), !n.isNaN else {
            _ = lua.error(NgxStrings.numberExpected(1, fn, lua.typeName(at: 2)))
            return nil
        }
        return Int(Swift.max(Swift.min(n, 1e15), 0))
    }

    /// `nil, err` for a failed operation.
    static func pushFailure(_ lua: Lua, _ e: DictError) -> Int32 {
        pushFailure(lua, NgxStrings.dictError(e))
    }

    /// Runs `body` with the zone of `self` (argument 1), or raises `bad "zone" argument`.
    @inline(__always)
    static func withDict(_ lua: Lua, _ body: (DictZone) -> Int32) -> Int32 {
        guard lua.type(at: 1) == .table else { return lua.error(NgxStrings.badZone) }
        lua.rawGetI(1, 1)
        let p = lua.toUserdata(-1)
        lua.pop()
        guard let p else { return lua.error(NgxStrings.badZone) }
        return body(DictZone(attachingTo: p))
    }

    /// Runs `body` with the zone and the key (argument 2, a string, or a number or boolean as `tostring`
    /// gives it); `nil, err` for a nil, empty or too long key, as OpenResty returns them.
    @inline(__always)
    static func withDictKey(_ lua: Lua, _ fn: String, _ body: (DictZone, UnsafeRawBufferPointer) -> Int32) -> Int32 {
        withDict(lua) { dict in
            switch lua.type(at: 2) {
            case .string, .number:
                break
            case .none, .nil:
                lua.pushNil()
                lua.push(NgxStrings.nilKey)
                return 2
            case .boolean:
                lua.push(lua.toBool(2) ? "true" : "false")
                lua_replace(lua.L, 2)
            default:
                return lua.error(NgxStrings.badKeyType(fn, lua.typeName(at: 2)))
            }
            let key = lua.bytes(2)!
            if key.count == 0 {
                lua.pushNil()
                lua.push(NgxStrings.emptyKey)
                return 2
            }
            if key.count > 65535 {
                lua.pushNil()
                lua.push(NgxStrings.keyTooLong)
                return 2
            }
            return body(dict, key)
        }
    }
}

extension NgxRuntime {
    /// Makes a zone mapped before the fork visible as `ngx.shared.NAME` in this VM and in every VM built
    /// later (the master calls it for each `lua_shared_dict` before `init_by_lua*`; workers inherit it).
    public func addSharedDict(name: String, zone: DictZone) {
        NgxAPI.sharedZones.append((name, zone))
        vm.protected { lua in
            lua.getGlobal("ngx")
            lua.getField(-1, "shared")
            NgxAPI.addDict(lua, name: name, zone: zone)
            lua.pop(2)
        }
    }
}
