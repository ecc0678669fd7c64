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
        return withThread(lua, yielding: true) { t in t.exit() }
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
