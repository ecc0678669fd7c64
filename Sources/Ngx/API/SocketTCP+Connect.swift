import CLuaJIT
import CShim
import EventLoop
import Glibc
import LuaKit

/// `sock = ngx.socket.tcp()` and `ok, err = sock:connect(...)`: the socket object, host names through the
/// resolver, pooled connections, the backlog queue, unix sockets. Yields while connecting.
extension NgxAPI {
    // MARK: new, connect

    /// `ngx.socket.tcp()`: `{ userdata, FFI handle, coroutine }` with the methods' metatable (the Lua layer's,
    /// kept in the registry by `setSocketMeta`).
    static let tcpNew: LuaFunction = { L in
        let lua = Lua(L!)
        guard lua.top == 0 else { return lua.error(NgxStrings.reqSocketArgCount(lua.top)) }
        return withThread(lua) { t in
            let s = TCPSocket(thread: t)
            lua.newTable(narr: 3)
            Cosocket.pushUserdata(lua, s)
            lua.rawSetI(-2, 1)
            // the FFI handle (`SocketTCP+FastPath.swift`): the address as a number, exact below 2^53
            lua.push(Double(UInt(bitPattern: Unmanaged.passUnretained(s).toOpaque())))
            lua.rawSetI(-2, 2)
            // the coroutine it was made on when that is the thread's own (the FFI may park only there)
            if t.coroutine == lua.L {
                _ = lua_pushthread(lua.L)
                lua.rawSetI(-2, 3)
            }
            tl_registry_push(lua.L, Int32(TL_KEY_TCP_SOCKET_META))
            lua.setMetatable(-2)
            return 1
        }
    }

    /// Keeps the TCP socket methods' metatable (argument 1) for `tcpNew`; called once by the Lua layer.
    static let setSocketMeta: LuaFunction = { L in
        let lua = Lua(L!)
        lua.setTop(1)
        tl_registry_store(lua.L, Int32(TL_KEY_TCP_SOCKET_META))
        return 0
    }

    /// `connect(host, port?, opts?)` checks its arguments in stream-lua's order and words: the count (the
    /// Lua layer passes nils for what was not given, so trailing nils do not count), the option table (the
    /// last argument when it is a table), then the port, whose absence or range is a soft failure.
    static let tcpConnect: LuaFunction = { L in
        let lua = Lua(L!)
        var argc = lua.top
        while argc > 1, lua.isNoneOrNil(argc) { argc -= 1 }
        guard argc >= 2, argc <= 4 else { return lua.error(NgxStrings.connectArgs(argc)) }
        guard lua.type(at: 2) == .string || lua.type(at: 2) == .number, let hostBytes = lua.bytes(2) else {
            return lua.error(NgxStrings.badStringArg(2, "connect", got: lua.typeName(at: 2)))
        }
        var poolName: String?
        var poolSize: Int?
        var backlog: Int?
        var n = argc
        if argc >= 3, lua.type(at: argc) == .table {
            let o = argc
            lua.getField(o, "pool_size")
            if let v = lua.coerceNumber(-1) {
                let size = Int(max(min(v, 1e9), -1e9))
                guard size > 0 else {
                    return lua.error(NgxStrings.badConnectOption(o, "pool_size\" option value: \(size)"))
                }
                poolSize = size
            } else if !lua.isNoneOrNil(-1) {
                return lua.error(NgxStrings.badConnectOption(o, "pool_size\" option type: \(lua.typeName(at: -1))"))
            }
            lua.getField(o, "backlog")
            if let v = lua.coerceNumber(-1) {
                let b = Int(max(min(v, 1e9), -1e9))
                guard b >= 0 else { return lua.error(NgxStrings.badConnectOption(o, "backlog\" option value: \(b)")) }
                backlog = b
            }
            lua.getField(o, "pool")
            switch lua.type(at: -1) {
            case .string, .number: poolName = lua.string(-1)
            case .nil: break
            default: return lua.error(NgxStrings.badConnectOption(o, "pool\" option type: \(lua.typeName(at: -1))"))
            }
            lua.pop(3)
            n -= 1
        }
        if n == 4 {  // not a table: the seed's pool name when a string, else nothing (OpenResty's)
            if lua.type(at: 4) == .string { poolName = lua.string(4) }
            n -= 1
        }
        // A port given is checked first, even before a unix socket path (which ignores it).
        var port: UInt16?
        if n == 3, let p = lua.coerceNumber(3) {
            let v = Int(max(min(p, 1e9), -1e9))
            guard v >= 0, v <= 65535 else { return pushFailure(lua, NgxStrings.badPort(v)) }
            port = UInt16(v)
        }
        let target: ConnectTarget
        if hostBytes.count >= 5 && hostBytes.prefix(5).map({ $0 | 0x20 }) == Array("unix:".utf8) {
            guard hostBytes.count > 5 else {
                return pushFailure(lua, NgxStrings.noUnixPath(String(decoding: hostBytes, as: UTF8.self)))
            }
            target = .unix(String(decoding: hostBytes.dropFirst(5), as: UTF8.self))
        } else if let port {
            target = .host(HostCache.host(hostBytes), port)
        } else {
            return pushFailure(lua, NgxStrings.missingPort)
        }
        return withTCP(lua, "connect", yielding: true) { t, s in
            lua.setTop(0)
            return connect(t, s, target, poolName: poolName, poolSize: poolSize, backlog: backlog, lua)
        }
    }

    /// Where a script asked to connect, before name resolution.
    enum ConnectTarget {
        case host(String, UInt16)
        case unix(String)
    }

    static func connect(
        _ t: LuaThread,
        _ s: TCPSocket,
        _ target: ConnectTarget,
        poolName: String?,
        poolSize: Int?,
        backlog: Int? = nil,
        _ lua: Lua
    ) -> Int32 {
        s.close()
        s.poolSize = poolSize
        switch target {
        case .unix(let path):
            s.peer = "unix:" + path
            s.poolKey = poolName ?? path
        case .host(let host, let port):
            s.peer = HostCache.peer(host, port)
            s.poolKey = poolName ?? s.peer
        }
        if s.reuse() { return pushOne(lua) }  // a pooled connection: no address to parse, no lookup
        if let backlog {
            let size = poolSize ?? s.server.config.socketPoolSize
            let pool = SocketPool.capped(s.poolKey, size: size, backlog: backlog)
            if pool.total >= pool.size {
                guard pool.waiters.count < backlog else { return pushFailure(lua, NgxStrings.tooManyWaiting) }
                s.queuedTarget = target
                s.queueDeadline = t.runtime.loop.now + s.connectTimeout
                return ConnectQueueWait.start(t, s, pool, front: false)
            }
            pool.total += 1
            s.slotPool = pool
        }
        return startConnect(t, s, target, lua)
    }

    /// Opens a new connection to `target` (after the pool had none idle), resolving a host name first.
    static func startConnect(_ t: LuaThread, _ s: TCPSocket, _ target: ConnectTarget, _ lua: Lua) -> Int32 {
        switch target {
        case .unix(let path):
            return finishConnect(t, s, .unix(path), lua)
        case .host(let host, let port):
            if let a = literalAddress(host) { return finishConnect(t, s, .ip(a, port), lua) }
            return Resolver.connect(t, s, host: host, port: port, lua)
        }
    }

    @inline(__always) static func pushOne(_ lua: Lua) -> Int32 {
        lua.push(1)
        return 1
    }

    /// An IP literal (`127.0.0.1`, `::1`, `[::1]`) or `localhost`.
    static func literalAddress(_ host: String) -> IPAddress? {
        if host == "localhost" { return IPAddress("127.0.0.1") }
        if host.hasPrefix("["), host.hasSuffix("]") { return IPAddress(String(host.dropFirst().dropLast())) }
        return IPAddress(host)
    }

    /// Connects to a resolved target: at once, by a wait, or with the failure.
    static func finishConnect(_ t: LuaThread, _ s: TCPSocket, _ target: SocketTarget, _ lua: Lua) -> Int32 {
        switch s.open(target, runtime: t.runtime) {
        case .connected:
            lua.push(1)
            return 1
        case .pending:
            return ConnectWait.start(t, s)
        case .failed(let e):
            s.releaseSlot()
            s.logError(NgxStrings.logConnectFailed(s.peer, e))
            return pushFailure(lua, NgxStrings.socketError(e))
        }
    }
}
