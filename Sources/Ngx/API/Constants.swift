import LuaKit

/// `ngx.OK`, `ngx.ERROR`, `ngx.AGAIN`, `ngx.DONE`, `ngx.DECLINED`, the nine log levels and `ngx.null`.
/// Context: any. Never yields.
extension NgxAPI {
    static let statusConstants: [(String, Int)] = [
        ("OK", 0), ("ERROR", -1), ("AGAIN", -2), ("DONE", -4), ("DECLINED", -5),
    ]
    static let logLevels: [(String, Int)] = [
        ("STDERR", 0), ("EMERG", 1), ("ALERT", 2), ("CRIT", 3), ("ERR", 4), ("WARN", 5), ("NOTICE", 6), ("INFO", 7),
        ("DEBUG", 8),
    ]

    static func injectConstants(_ lua: Lua) {
        for (name, value) in statusConstants + logLevels {
            lua.push(value)
            lua.setField(-2, name)
        }
        lua.pushLightUserdata(nil)
        lua.setField(-2, "null")
    }
}
