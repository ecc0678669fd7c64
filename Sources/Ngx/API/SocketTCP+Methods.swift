import EventLoop
import LuaKit

/// The TCP cosocket methods that never yield: close, the timeouts, the pool, socket options.
extension NgxAPI {
    static let tcpClose: LuaFunction = { L in
        let lua = Lua(L!)
        return withTCP(lua, "close") { _, s in
            guard s.close() else { return pushFailure(lua, NgxStrings.closed) }
            lua.push(1)
            return 1
        }
    }

    /// A timeout argument in milliseconds (`ms`: the argument as a number or numeric string, as OpenResty takes
    /// it): nil when absent, not positive or not a number (lua_tonumber's 0; then left as it is).
    static func timeoutMs(_ ms: Double?) -> Int64? {
        guard let ms, ms > 0 else { return nil }  // (NaN too)
        return Int64(min(ms, 1e15))
    }

    /// `settimeout(ms)` sets the three timeouts (OpenResty); `settimeout(connect, send, read)` is the seed's
    /// positional form, where a value that is nil or not positive leaves that timeout as it is.
    static let tcpSetTimeout: LuaFunction = { L in setTimeouts(Lua(L!), "settimeout") }
    static let tcpSetTimeouts: LuaFunction = { L in setTimeouts(Lua(L!), "settimeouts") }

    static func setTimeouts(_ lua: Lua, _ fn: String) -> Int32 {
        timeouts(lua, fn) { connect, send, read in
            withTCP(lua, fn) { _, s in
                if let v = connect { s.connectTimeout = v }
                if let v = send { s.sendTimeout = v }
                if let v = read { s.readTimeout = v }
                return 0
            }
        }
    }

    /// Checks the arguments of `settimeout(ms)`, the seed's `settimeout(connect, send, read)` or
    /// `settimeouts(connect, send, read)` (`fn`) and runs `body` with the (connect, send, read) values given.
    static func timeouts(_ lua: Lua, _ fn: String, _ body: (Int64?, Int64?, Int64?) -> Int32) -> Int32 {
        let argc = lua.top
        let plural = fn == "settimeouts"
        if plural {
            guard argc == 4 else {
                return lua.error(  // stream-lua's words, its typo included
                    "ngx.socket settimout: expecting 4 arguments (including the object) but seen \(argc)"
                )
            }
        } else {
            guard argc >= 2, argc <= 4 else {
                return lua.error(
                    "ngx.socket settimeout: expecting 2 to 4 arguments (including the object), but got \(argc)"
                )
            }
        }
        var values: [Int64?] = []
        // OpenResty's forms (one value, or settimeouts) refuse what `(ngx_int_t) ms >> 31` flags: a negative
        // value or one of 2^31 ms and more; the seed's positional form leaves such a value alone.
        let openResty = plural || argc == 2
        for i in 2...max(2, argc) {
            let ms = lua.isNoneOrNil(i) ? nil : lua.coerceNumber(i)
            if openResty, let ms, ms <= -1 || ms >= 2_147_483_648 { return lua.error(NgxStrings.badTimeoutValue) }
            values.append(timeoutMs(ms))
        }
        if argc == 2 { return body(values[0], values[0], values[0]) }
        return body(values[0], values.count > 1 ? values[1] : nil, values.count > 2 ? values[2] : nil)
    }

    /// `setkeepalive(timeout?, size?)`: the connection goes back to its pool; the socket is closed after.
    static let tcpSetKeepalive: LuaFunction = { L in
        let lua = Lua(L!)
        let argc = lua.top
        guard argc >= 1, argc <= 3 else {
            return lua.error("expecting 1 to 3 arguments (including the object), but got \(argc)")
        }
        return withTCP(lua, "setkeepalive") { _, s in
            // a closed socket answers before its arguments are looked at (stream-lua's order)
            guard let c = s.connection else { return pushFailure(lua, NgxStrings.closed) }
            if c.reader != nil { return pushFailure(lua, NgxStrings.socketBusyReading) }
            if c.writer != nil { return pushFailure(lua, NgxStrings.socketBusyWriting) }
            if c.input.readable > 0 { return pushFailure(lua, NgxStrings.dubiousState) }
            // luaL_checkinteger's: a number or numeric string, truncated; a negative timeout wraps to a huge
            // ngx_msec_t, which is never
            var timeout: Int64?
            if argc >= 2, !lua.isNoneOrNil(2) {
                guard let v = lua.coerceNumber(2), !v.isNaN else {
                    return lua.error(NgxStrings.badNumberArg(2, "setkeepalive", got: lua.typeName(at: 2)))
                }
                timeout = v < 0 ? 0 : Int64(min(v, 1e15))
            }
            var size: Int?
            if argc >= 3, !lua.isNoneOrNil(3) {
                guard let v = lua.coerceNumber(3), !v.isNaN else {
                    return lua.error(NgxStrings.badNumberArg(3, "setkeepalive", got: lua.typeName(at: 3)))
                }
                guard v >= 1 else { return pushFailure(lua, NgxStrings.zeroPoolSize) }
                size = Int(min(v, 1e9))
            }
            if c.readable || c.peerClosed {  // an edge was seen: find out what it brought before pooling
                var progress = false
                switch c.fill(want: 1, progress: &progress) {
                case .ready: return pushFailure(lua, NgxStrings.dubiousState)
                case .closed:
                    s.close()
                    return pushFailure(lua, NgxStrings.closed)
                case .wait: c.releaseInputIfEmpty()
                }
            }
            s.release(
                toPool: timeout ?? Int64(s.server.config.socketKeepaliveTimeout),
                size: s.poolSize ?? size ?? s.server.config.socketPoolSize
            )
            lua.push(1)
            return 1
        }
    }

    static let tcpGetReusedTimes: LuaFunction = { L in
        let lua = Lua(L!)
        guard lua.top == 1 else {
            return lua.error("expecting 1 argument (including the object), but got \(lua.top)")
        }
        return withTCP(lua, "getreusedtimes") { _, s in
            guard s.isConnected else { return pushFailure(lua, NgxStrings.closed) }
            lua.push(s.reusedTimes)
            return 1
        }
    }

    static func socketOption(_ name: String) -> Sys.SocketOption? {
        switch name {
        case "keepalive": return .keepalive
        case "reuseaddr": return .reuseaddr
        case "tcp-nodelay": return .tcpNodelay
        case "sndbuf": return .sndbuf
        case "rcvbuf": return .rcvbuf
        default: return nil
        }
    }

    /// `ok, err = setoption(name, value)`: keepalive, reuseaddr, tcp-nodelay, sndbuf, rcvbuf, with a number or a
    /// boolean; `value, err = getoption(name)`, a number. As resty.core's Lua: a missing or unknown name (or
    /// value) is a soft failure.
    static let tcpSetOption: LuaFunction = { L in
        let lua = Lua(L!)
        return withOption(lua) { o in
            if lua.isNoneOrNil(3) { return pushFailure(lua, NgxStrings.missingOptionArg("value")) }
            let value: Int32
            switch lua.type(at: 3) {
            case .boolean: value = lua.toBool(3) ? 1 : 0
            case .number: value = Int32(clamping: Int(max(min(lua.toNumber(3)!, 1e10), -1e10)))
            default:  // what the FFI call's int parameter refuses
                return lua.error(
                    "bad argument #3 to 'ngx_stream_lua_ffi_socket_tcp_setoption' (cannot convert '\(lua.typeName(at: 3))' to 'int')"
                )
            }
            return withTCP(lua, "setoption") { _, s in
                guard let c = s.connection else { return pushFailure(lua, NgxStrings.closed) }
                if let e = Sys.setOption(c.fd, o, value) { return pushFailure(lua, NgxStrings.socketError(e)) }
                lua.push(true)
                return 1
            }
        }
    }

    /// Runs `body` with the option named at argument 2; a missing or unknown name is a soft failure.
    static func withOption(_ lua: Lua, _ body: (Sys.SocketOption) -> Int32) -> Int32 {
        if lua.isNoneOrNil(2) { return pushFailure(lua, NgxStrings.missingOptionArg("option")) }
        let name = lua.type(at: 2) == .string || lua.type(at: 2) == .number ? lua.string(2) : nil
        guard let name, let o = socketOption(name) else {
            return pushFailure(lua, NgxStrings.unsupportedOption(name ?? lua.typeName(at: 2)))
        }
        return body(o)
    }

    static let tcpGetOption: LuaFunction = { L in
        let lua = Lua(L!)
        return withOption(lua) { o in
            withTCP(lua, "getoption") { _, s in
                guard let c = s.connection else { return pushFailure(lua, NgxStrings.closed) }
                switch Sys.getOption(c.fd, o) {
                case .success(let v):
                    lua.push(Int(v))
                    return 1
                case .failure(let e):
                    return pushFailure(lua, NgxStrings.socketError(e.errno))
                }
            }
        }
    }
}
