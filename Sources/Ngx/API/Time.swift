import LuaKit

/// `ngx.now()`, `ngx.time()`, `ngx.today()`, `ngx.utctime()`, `ngx.localtime()` from the loop's cached clock;
/// `ngx.update_time()` refreshes it; `ngx.start_time()` (the seed's; `ngx.req.start_time()` is OpenResty's
/// name); `ngx.tcp_time(sec)` and `ngx.parse_tcp_time(str)` (nil for a bad string), which are the http
/// subsystem's `http_time`/`parse_http_time`: stream-lua's `ngx` lacks those two, but the survey (§6, "time
/// names") has tcplua provide both names, so they are in `ngx` too (and, as before, in `ngx.tcplua`).
/// Context: any. Never yields.
extension NgxAPI {
    static func injectTime(_ lua: Lua) {
        let functions: [(String, LuaFunction)] = [
            ("now", ngxNow), ("time", ngxTime), ("today", ngxToday), ("utctime", ngxUtctime),
            ("localtime", ngxLocaltime), ("update_time", ngxUpdateTime), ("start_time", ngxStartTime),
            ("tcp_time", ngxHTTPTime), ("parse_tcp_time", ngxParseHTTPTime),
            ("http_time", ngxHTTPTime), ("parse_http_time", ngxParseHTTPTime),
        ]
        for (name, f) in functions {
            lua.push(f)
            lua.setField(-2, name)
        }
        pushTcpluaTable(lua)
        lua.push(ngxHTTPTime)
        lua.setField(-2, "http_time")
        lua.push(ngxParseHTTPTime)
        lua.setField(-2, "parse_http_time")
        lua.pop()
    }

    /// Pushes `ngx.tcplua` (made on first use), the home of tcplua's public names that stream-lua's `ngx` does
    /// not have, so that `if ngx.foo then` feature tests behave as on OpenResty. `ngx` is at -1.
    static func pushTcpluaTable(_ lua: Lua) {
        lua.getField(-1, "tcplua")
        if lua.type(at: -1) == .table { return }
        lua.pop()
        lua.newTable()
        lua.pushValue(at: -1)
        lua.setField(-3, "tcplua")
    }

    static var wallSeconds: Int { Int(NgxRuntime.shared.loop.clock.wallMs / 1000) }

    static let ngxNow: LuaFunction = { L in
        Lua(L!).push(Double(NgxRuntime.shared.loop.clock.wallMs) / 1000)
        return 1
    }
    static let ngxTime: LuaFunction = { L in
        Lua(L!).push(wallSeconds)
        return 1
    }
    static let ngxToday: LuaFunction = { L in
        Lua(L!).push(TimeFormat.today(wallSeconds))
        return 1
    }
    static let ngxUtctime: LuaFunction = { L in
        Lua(L!).push(TimeFormat.dateTime(wallSeconds, utc: true))
        return 1
    }
    static let ngxLocaltime: LuaFunction = { L in
        Lua(L!).push(TimeFormat.dateTime(wallSeconds, utc: false))
        return 1
    }
    static let ngxUpdateTime: LuaFunction = { _ in
        NgxRuntime.shared.loop.clock.update()
        return 0
    }
    static let ngxStartTime: LuaFunction = { L in
        Lua(L!).push(Double(NgxRuntime.shared.startWallMs) / 1000)
        return 1
    }
    static let ngxHTTPTime: LuaFunction = { L in
        let lua = Lua(L!)
        guard let sec = lua.coerceNumber(1), sec.isFinite, abs(sec) < 1e11 else {
            return lua.error(NgxStrings.badNumberArg(1, "tcp_time"))
        }
        lua.push(TimeFormat.httpTime(Int(sec)))
        return 1
    }
    static let ngxParseHTTPTime: LuaFunction = { L in
        let lua = Lua(L!)
        guard lua.type(at: 1) == .string, let s = lua.string(1) else {
            return lua.error(NgxStrings.badStringArg(1, "parse_tcp_time"))
        }
        if let t = TimeFormat.parseHTTPTime(s) { lua.push(t) } else { lua.pushNil() }
        return 1
    }
}
