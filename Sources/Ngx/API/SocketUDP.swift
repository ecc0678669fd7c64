import EventLoop
import LuaKit

/// `sock = ngx.socket.udp()`, enough for DNS clients (Debian's lua-nginx-dns):
///
/// ```
/// ok, err = sock:setpeername(host, port) | sock:setpeername("unix:/path")
/// ok, err = sock:send(data)          data, err = sock:receive(size?)   (one datagram, 8192 bytes by default)
/// sock:settimeout(ms)                ok, err = sock:close()
/// ```
/// Context: process_by_lua*. `receive` yields, and `setpeername` while a host name is looked up (through the
/// `resolver` directive's servers, with the TCP connect's error strings; IP literals and `localhost` need none).
extension NgxAPI {
    static func injectUDP(_ lua: Lua) {
        runLayer(lua, udpWrappers, chunkName: "=ngx.socket.udp") {
            let fns: [LuaFunction] = [udpNew, udpSetPeer, udpSend, udpReceive, udpSetTimeout, udpClose]
            for f in fns { lua.push(f) }
            return Int32(fns.count)
        }
    }

    static let udpWrappers = """
        local ngx, YIELD, results, yield, new, setpeername, send, receive, settimeout, close = ...
        local setmetatable = setmetatable
        local mt = {}
        mt.__index = mt
        local function pass(a, ...)
          if a == YIELD then yield() return pass(results()) end
          return a, ...
        end
        ngx.socket.udp = function(...) return setmetatable({ new(...) }, mt) end
        function mt.setpeername(...) return pass(setpeername(...)) end
        mt.send = send
        function mt.receive(...) return pass(receive(...)) end
        mt.settimeout = settimeout
        mt.close = close
        """

    /// Runs `body` with the running thread and the UDP socket at argument 1, which must be its session's.
    @inline(__always)
    static func withUDP(
        _ lua: Lua,
        _ fn: String,
        yielding: Bool = false,
        _ body: (LuaThread, UDPSocket) -> Int32
    )
        -> Int32
    {
        withCosocket(lua, fn, UDPSocket.self, yielding: yielding, body)
    }

    static let udpNew: LuaFunction = { L in
        let lua = Lua(L!)
        guard lua.top == 0 else { return lua.error(NgxStrings.reqSocketArgCount(lua.top)) }
        return withThread(lua) { t in
            Cosocket.pushUserdata(lua, UDPSocket(thread: t))
            return 1
        }
    }

    static let udpSetPeer: LuaFunction = { L in
        let lua = Lua(L!)
        guard lua.top >= 2, lua.top <= 3 else {
            return lua.error(NgxStrings.udpSetPeerArgCount(lua.top))
        }
        guard lua.type(at: 2) == .string, let host = lua.string(2) else {
            return lua.error(NgxStrings.badStringArg(2, "setpeername"))
        }
        var target: SocketTarget
        if host.hasPrefix("unix:") {
            target = .unix(String(host.dropFirst(5)))
        } else {
            // An integer argument (a numeric string too, truncated); out of range is a soft error, unlike the
            // TCP connect's.
            guard let n = lua.coerceNumber(3), n.isFinite else {
                return lua.error(NgxStrings.badNumberArg(3, "setpeername"))
            }
            let p = n.rounded(.towardZero)
            guard p >= 0, p <= 65535 else { return pushFailure(lua, NgxStrings.badPort(Int(max(min(p, 1e9), -1e9)))) }
            guard let a = literalAddress(host) else {
                return withUDP(lua, "setpeername", yielding: true) { t, s in
                    s.close()
                    return Resolver.connect(t, s, host: host, port: UInt16(p), lua)
                }
            }
            target = .ip(a, UInt16(p))
        }
        return withUDP(lua, "setpeername") { t, s in finishSetPeer(t, s, target, lua) }
    }

    /// Connects the UDP socket to a resolved target: `1` or `nil, err`.
    static func finishSetPeer(_ t: LuaThread, _ s: UDPSocket, _ target: SocketTarget, _ lua: Lua) -> Int32 {
        if let e = s.setPeer(target, runtime: t.runtime) { return pushFailure(lua, NgxStrings.socketError(e)) }
        lua.push(1)
        return 1
    }

    static let udpSend: LuaFunction = { L in
        let lua = Lua(L!)
        guard lua.top == 2 else { return lua.error("expecting 2 arguments (including the object), but got \(lua.top)") }
        return withUDP(lua, "send") { t, s in
            guard let h = s.handler else { return pushFailure(lua, NgxStrings.closed) }
            var buf = t.runtime.pool.pointee.take()
            defer { t.runtime.pool.pointee.give(&buf) }
            guard appendValue(lua, 2, arg: 2, name: "send", depth: 0, strict: true, into: &buf) else {
                return Lua.raise
            }
            switch Sys.write(h.fd, buf.readPointer, buf.readable) {
            case .bytes:
                lua.push(1)
                return 1
            case .failed(let e): return pushFailure(lua, NgxStrings.socketError(e))
            case .wouldBlock, .eof: return pushFailure(lua, NgxStrings.socketError(11))
            }
        }
    }

    static let udpReceive: LuaFunction = { L in
        let lua = Lua(L!)
        guard lua.top >= 1, lua.top <= 2 else {
            return lua.error("expecting 1 or 2 arguments (including the object), but got \(lua.top)")
        }
        var size = 8192
        if !lua.isNoneOrNil(2) {
            guard let n = lua.coerceNumber(2), n >= 1 else { return lua.error(NgxStrings.badNumberArg(2, "receive")) }
            size = Int(min(n, 65536))
        }
        return withUDP(lua, "receive", yielding: true) { t, s in
            lua.setTop(0)
            s.wantSize = size
            return DatagramWait.receive(t, s, lua)
        }
    }

    static let udpSetTimeout: LuaFunction = { L in
        let lua = Lua(L!)
        guard lua.top == 2 else { return lua.error(NgxStrings.udpSetTimeoutArgCount(lua.top)) }
        guard let v = lua.coerceNumber(2), !v.isNaN else { return lua.error(NgxStrings.badTimeout("settimeout")) }
        return withUDP(lua, "settimeout") { _, s in
            if v > 0 { s.readTimeout = Int64(min(v, 1e15)) }
            return 0
        }
    }

    static let udpClose: LuaFunction = { L in
        let lua = Lua(L!)
        guard lua.top == 1 else { return lua.error(NgxStrings.udpCloseArgCount(lua.top)) }
        return withUDP(lua, "close") { _, s in
            guard s.close() else { return pushFailure(lua, NgxStrings.closed) }
            lua.push(1)
            return 1
        }
    }
}
