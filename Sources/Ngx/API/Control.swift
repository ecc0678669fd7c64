import LuaKit

/// `ngx.exit([code])`: ends the session (the thread is dropped, the connection finishes: its output
/// drains, then it closes); never returns. Context: process_by_lua*. Yields.
extension NgxAPI {
    static func injectControl(_ lua: Lua) {
        lua.push(ngxExit)
        lua.setField(-2, "exit")
    }

    static let ngxExit: LuaFunction = { L in
        let lua = Lua(L!)
        let code = lua.toNumber(1) ?? 0
        return withThread(lua, yielding: true, alwaysYields: true) { t in
            // In preread_by_lua*, ngx.OK and ngx.DECLINED go on to the content handler; other codes end there.
            if code != 0 && code != -5 { t.withSession { $0.prereadDeclined = true } }
            return t.exit()
        }
    }
}

extension LuaThread {
    /// Marks the thread to end at its next yield, which the caller's wrapper does at once.
    func exit() -> Int32 {
        exiting = true
        NgxAPI.pushYieldSentinel(Lua(caller ?? co!))
        return 1
    }
}
