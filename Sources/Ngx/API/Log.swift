import CLuaJIT
import Config
import LuaKit

/// `ngx.log(level, ...)` and the global `print(...)` (level NOTICE): the arguments concatenated with no
/// separator, written as `[lua] file:line: message` in `tcp { }` (the seed's form, the chunk name as Lua shows
/// it) and as stream-lua writes it in `stream { }`: `stream [lua] basename:line: fn(): message`, the function
/// name when called from a named Lua function. The level may be a numeric string; a table argument is logged
/// as its `__tostring` gives it (one without is refused), a light userdata other than `ngx.null` is skipped, as
/// stream-lua's log does. Context: any. Never yields.
extension NgxAPI {
    /// Every server of the config is in `stream { }`: lines logged outside a session (init_by_lua) take
    /// stream-lua's form too. Set by the master before it runs Lua.
    nonisolated(unsafe) public static var streamConfig = false

    static func injectLog(_ lua: Lua) {
        lua.push(ngxLog)
        lua.setField(-2, "log")
    }

    static func installPrint(_ lua: Lua) {
        lua.push(luaPrint)
        lua.setGlobal("print")
    }

    static let ngxLog: LuaFunction = { L in
        let lua = Lua(L!)
        guard let n = lua.coerceNumber(1) else {
            return lua.error(NgxStrings.badNumberArg(1, "log", got: lua.typeName(at: 1)))
        }
        guard n >= 0, n <= 8, let level = LogLevel(rawValue: Int(n)) else {
            return lua.error(NgxStrings.badLogLevel(Int(n)))
        }
        return log(lua, level: level, from: 2)
    }

    static let luaPrint: LuaFunction = { L in log(Lua(L!), level: .notice, from: 1) }

    static func log(_ lua: Lua, level: LogLevel, from first: Int32) -> Int32 {
        let rt = NgxRuntime.shared!
        let session = currentSession
        let target = session?.server.errorLog ?? rt.log
        guard target.enabled(level) else { return 0 }
        var msg = ""
        let argc = lua.top
        if first <= argc {
            for i in first...argc {
                switch lua.type(at: i) {
                case .string, .number: msg += lua.string(i) ?? ""
                case .nil: msg += "nil"
                case .boolean: msg += lua.toBool(i) ? "true" : "false"
                case .lightUserdata where lua.toUserdata(i) == nil: msg += "null"
                case .lightUserdata: continue
                case .table:
                    switch callToString(lua, i) {
                    case nil: return lua.error(NgxStrings.logTableArg(i - first + 1))
                    case false: return Lua.raise  // the metamethod's error, on top
                    case true:
                        msg += lua.string(-1) ?? ""
                        lua.pop()
                    }
                default:
                    return lua.error(NgxStrings.badLogArg(i - first + 1, lua.typeName(at: i)))
                }
            }
        }
        let stream = session.map { $0.server.config.isStream } ?? streamConfig
        let line =
            stream
            ? "stream [lua] " + lua.whereStringStream(level: 1) + msg
            : "[lua] " + lua.whereString(level: 1) + ": " + msg
        if let s = session { s.log(level, line) } else { rt.log.log(level, line) }
        return 0
    }

    /// Calls the `__tostring` metamethod of the table at `i` (a positive index) in a protected call, which
    /// an error or a yield inside cannot cross: true with its result pushed, false with the error value
    /// pushed; nil (nothing pushed) when the table has none.
    static func callToString(_ lua: Lua, _ i: Int32) -> Bool? {
        guard lua_getmetatable(lua.L, i) != 0 else { return nil }
        lua.push(static: "__tostring")
        lua.rawGet(-2)
        lua.remove(at: -2)
        if lua.isNoneOrNil(-1) {
            lua.pop()
            return nil
        }
        lua.pushValue(at: i)
        return lua_pcall(lua.L, 1, 1, 0) == 0
    }
}
