import LuaKit

/// `data, err, partial = ngx.receive(total, at_least)`: returns as soon as at least `at_least` bytes
/// (default: `total`) are there, at most `total`; `nil, "timeout"|"closed", partial` on failure
/// (read_timeout bounds the wait). `ngx.wait_next_request()`: ends the light session and waits for the
/// client's next bytes (keepalive_timeout bounds the wait; a close ends the session there).
/// Context: process_by_lua*. Both yield.
extension NgxAPI {
    static func injectInput(_ lua: Lua) {
        lua.push(ngxReceive)
        lua.setField(-2, "receive")
        lua.push(ngxWaitNextRequest)
        lua.setField(-2, "wait_next_request")
    }

    static let ngxReceive: LuaFunction = { L in
        let lua = Lua(L!)
        let argc = lua.top
        guard argc == 1 || argc == 2 else { return lua.error(NgxStrings.receiveArgCount) }
        guard let totalD = lua.toNumber(1), argc == 1 || lua.isNoneOrNil(2) || lua.toNumber(2) != nil else {
            return lua.error(NgxStrings.receiveNotNumber)
        }
        guard totalD >= 1, totalD < 1e12 else { return lua.error(NgxStrings.receiveTotal) }
        let total = Int(totalD)
        var atLeast = total
        if argc == 2, let a = lua.toNumber(2) {
            guard a >= 1, a <= Double(total) else { return lua.error(NgxStrings.receiveAtLeast(total)) }
            atLeast = Int(a)
        }
        return withSession(lua, yielding: true) { s in
            lua.setTop(0)
            if let n = s.receiveReady(total: total, atLeast: atLeast) { return n }
            s.wait = .receive(total: total, atLeast: atLeast)
            s.runtime.loop.arm(s.timer, afterMs: Int64(s.server.config.readTimeout))
            return Lua.yield(0)
        }
    }

    static let ngxWaitNextRequest: LuaFunction = { L in
        let lua = Lua(L!)
        return withSession(lua, yielding: true) { s in
            s.flush()
            s.endRequest()
            switch s.fill(want: 1) {
            case .ready:
                return 0
            case .closed:
                s.exiting = true
                return Lua.yield(0)
            case .wait where s.runtime.stopping:  // a graceful stop: no next request on this connection
                s.exiting = true
                return Lua.yield(0)
            case .wait:
                s.runtime.pool.give(&s.input)
                s.wait = .idle
                if let ka = s.keepaliveTimeout {
                    s.runtime.loop.arm(s.timer, afterMs: Int64(ka))
                } else {
                    s.runtime.loop.cancel(s.timer)
                }
                return Lua.yield(0)
            }
        }
    }
}
