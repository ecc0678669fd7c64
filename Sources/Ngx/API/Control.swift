import LuaKit

/// `ngx.exit([code])`: ends the session (the thread is dropped, the connection finishes: its output
/// drains, then it closes); never returns. A code >= 200 is the session's `$status`, and `ngx.ERROR` is 500,
/// as stream-lua finalizes the session with it. Context: process_by_lua*. Yields.
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
            if let status = exitStatus(code) { t.withSession { $0.exitStatus = status } }
            return t.exit()
        }
    }

    /// The `$status` an exit code records: itself from 200 on (capped), 500 for `ngx.ERROR`; nil for the others.
    static func exitStatus(_ code: Double) -> UInt16? {
        if code == -1 { return 500 }
        guard code >= 200 else { return nil }
        return UInt16(min(code, 65535))
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
