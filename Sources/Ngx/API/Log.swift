import Config
import LuaKit

/// `ngx.log(level, ...)` and the global `print(...)` (level NOTICE): the arguments concatenated with no
/// separator, written as `[lua] file:line: message`. Context: any. Never yields.
extension NgxAPI {
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
        guard let n = lua.toNumber(1), n >= 0, n <= 8, let level = LogLevel(rawValue: Int(n)) else {
            return lua.error(NgxStrings.badLogLevel)
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
                default:
                    return lua.error(NgxStrings.badLogArg(i - first + 1, lua.typeName(at: i)))
                }
            }
        }
        let line = "[lua] " + lua.whereString(level: 1) + ": " + msg
        if let s = session { s.log(level, line) } else { rt.log.log(level, line) }
        return 0
    }
}
