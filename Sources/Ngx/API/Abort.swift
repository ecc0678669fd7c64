import CLuaJIT
import LuaKit

/// `ok, err = ngx.on_abort(fn)`: registers `fn` to run in its own thread when the client hangs up while the
/// handler is not reading (needs `lua_check_client_abort on`); returns 1, or `nil, "lua_check_client_abort
/// is off"`, or `nil, "duplicate call"`, checked before the argument. Context: process_by_lua*. Never yields.
extension NgxAPI {
    static func injectAbort(_ lua: Lua) {
        lua.push(ngxOnAbort)
        lua.setField(-2, "on_abort")
    }

    static let ngxOnAbort: LuaFunction = { L in
        let lua = Lua(L!)
        return withThread(lua, client: true) { t in
            let s = t.session
            guard s.server.config.checkClientAbort else {
                lua.pushNil()
                lua.push(NgxStrings.checkClientAbortOff)
                return 2
            }
            guard s.abortHandlerRef == -2, !s.clientAborted else {
                lua.pushNil()
                lua.push(NgxStrings.duplicateCall)
                return 2
            }
            // stream-lua looks at the argument only now, and takes a Lua function only
            guard lua.type(at: 1) == .function, lua_iscfunction(lua.L, 1) == 0 else {
                return lua.error(NgxStrings.onAbortArg)
            }
            lua.pushValue(at: 1)
            s.abortHandlerRef = lua.ref()
            lua.push(1)
            return 1
        }
    }
}

/// The strings `ngx.on_abort` returns or raises (OpenResty's).
extension NgxStrings {
    public static let checkClientAbortOff = "lua_check_client_abort is off"
    public static let duplicateCall = "duplicate call"
    public static let onAbortArg = "bad argument #1 to 'on_abort' (Lua function expected)"
}
