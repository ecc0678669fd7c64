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

    /// A timeout argument in milliseconds, a number or a numeric string (as OpenResty takes it): nil when absent
    /// or not positive (then left as it is).
    static func timeoutArg(_ lua: Lua, _ i: Int32, _ fn: String) -> Result<Int64?, Never>? {
        if lua.isNoneOrNil(i) { return .success(nil) }
        guard let v = lua.coerceNumber(i), !v.isNaN else { return nil }
        return .success(v > 0 ? Int64(min(v, 1e15)) : nil)
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
                return lua.error(
                    "ngx.socket settimeouts: expecting 4 arguments (including the object), but got \(argc)"
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
            guard case .success(let v)? = timeoutArg(lua, i, fn) else {
                return lua.error(NgxStrings.badTimeout(fn))
            }
            if openResty, let ms = lua.coerceNumber(i), ms <= -1 || ms >= 2_147_483_648 {
                return lua.error(NgxStrings.badTimeoutValue)
            }
            values.append(v)
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
        var timeout: Int64?
        if argc >= 2, !lua.isNoneOrNil(2) {
            guard let v = lua.toNumber(2), v >= 0 else {
                return lua.error("bad argument #2 to 'setkeepalive' (bad timeout)")
            }
            timeout = Int64(min(v, 1e15))
        }
        var size: Int?
        if argc >= 3, !lua.isNoneOrNil(3) {
            guard let v = lua.toNumber(3) else { return lua.error(NgxStrings.badNumberArg(3, "setkeepalive")) }
            guard v >= 1 else { return pushFailure(lua, NgxStrings.zeroPoolSize) }
            size = Int(min(v, 1e9))
        }
        return withTCP(lua, "setkeepalive") { _, s in
            guard let c = s.connection else { return pushFailure(lua, NgxStrings.closed) }
            if c.reader != nil { return pushFailure(lua, NgxStrings.socketBusyReading) }
            if c.writer != nil { return pushFailure(lua, NgxStrings.socketBusyWriting) }
            if c.input.readable > 0 { return pushFailure(lua, NgxStrings.dubiousState) }
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

    /// `setoption(name, value)`: keepalive, reuseaddr, tcp-nodelay (booleans or numbers), sndbuf, rcvbuf.
    static let tcpSetOption: LuaFunction = { L in
        let lua = Lua(L!)
        guard lua.top == 3 else {
            return lua.error("expecting 3 arguments (including the object), but got \(lua.top)")
        }
        guard let name = lua.string(2), let o = socketOption(name) else {
            return lua.error(NgxStrings.badOption(lua.string(2) ?? lua.typeName(at: 2)))
        }
        let value: Int32
        switch lua.type(at: 3) {
        case .boolean: value = lua.toBool(3) ? 1 : 0
        case .number: value = Int32(clamping: Int(lua.toNumber(3)!))
        default: return lua.error("bad argument #3 to 'setoption' (boolean or number expected)")
        }
        return withTCP(lua, "setoption") { _, s in
            guard let c = s.connection else { return pushFailure(lua, NgxStrings.closed) }
            if let e = Sys.setOption(c.fd, o, value) { return pushFailure(lua, NgxStrings.socketError(e)) }
            lua.push(1)
            return 1
        }
    }

    static let tcpGetOption: LuaFunction = { L in
        let lua = Lua(L!)
        guard lua.top == 2 else {
            return lua.error("expecting 2 arguments (including the object), but got \(lua.top)")
        }
        guard let name = lua.string(2), let o = socketOption(name) else {
            return lua.error(NgxStrings.badOption(lua.string(2) ?? lua.typeName(at: 2)))
        }
        return withTCP(lua, "getoption") { _, s in
            guard let c = s.connection else { return pushFailure(lua, NgxStrings.closed) }
            switch Sys.getOption(c.fd, o) {
            case .success(let v):
                if o == .sndbuf || o == .rcvbuf { lua.push(Int(v)) } else { lua.push(v != 0) }
                return 1
            case .failure(let e):
                return pushFailure(lua, NgxStrings.socketError(e.errno))
            }
        }
    }
}
