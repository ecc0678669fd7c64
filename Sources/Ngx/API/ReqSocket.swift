import CLuaJIT
import LuaKit

/// `sock, err = ngx.req.socket(raw?)`: the client connection as a full-duplex cosocket (stream-lua ignores
/// `raw` and always returns the raw socket), sharing one input buffer with `ngx.receive` and the output
/// with `ngx.print`:
///
/// ```
/// data, err, partial = sock:receive(n | "*l" | "*a" | ()) | sock:receiveany(max)
/// iter = sock:receiveuntil(pattern, {inclusive=}); data, err, partial = iter(size?)
/// bytes, err = sock:send(data)     (flushes and waits until the client took every byte)
/// sock:settimeout(ms) | sock:settimeouts(connect_ms, send_ms, read_ms)
/// data, err = sock:peek(n)         (waits for n bytes and returns them, leaving them to be received)
/// ok, err = sock:shutdown("send")  (the output so far is sent, then the write side is shut: ngx.eof())
/// ```
/// OpenResty allows `peek` only in `preread_by_lua*`; tcplua allows it in the content handler too, where it
/// returns the next bytes without consuming them.
/// A second call in one session returns `nil, "duplicate call"`, as stream-lua does. A read timeout leaves
/// the socket usable. The Lua wrappers are in `tcpWrappers` (the same ones as the TCP cosocket's).
extension NgxAPI {
    /// The Swift halves, in the order `tcpWrappers` takes them.
    static let reqFunctions: [LuaFunction] = [
        reqSocket, reqSend, reqReceive, reqReceiveAny, reqUntilCheck, reqUntilStep, reqSetTimeout, reqSetTimeouts,
        reqPeek, reqShutdown,
    ]

    /// Runs `body` with the running thread, the session's client socket (the one at argument 1) and the
    /// client connection.
    @inline(__always)
    static func withClient(
        _ lua: Lua,
        _ fn: String,
        yielding: Bool = false,
        _ body: (LuaThread, ClientSocket, Connection) -> Int32
    ) -> Int32 {
        withThread(lua, yielding: yielding) { t in
            guard lua.type(at: 1) == .table else { return lua.error(NgxStrings.socketArgs(fn)) }
            lua.rawGetI(1, 1)
            let p = lua.type(at: -1) == .lightUserdata ? lua.toUserdata(-1) : nil
            lua.pop()
            guard let p else { return lua.error(NgxStrings.socketArgs(fn)) }
            guard let s = t.session.clientSocket, Unmanaged.passUnretained(s).toOpaque() == p else {
                return lua.error(NgxStrings.badRequest)
            }
            return body(t, s, t.session.connection)
        }
    }

    /// `ngx.req.socket(raw?)`'s Swift half: the socket's light userdata, or `nil, err`.
    static let reqSocket: LuaFunction = { L in
        let lua = Lua(L!)
        guard lua.top <= 1 else { return lua.error(NgxStrings.reqSocketArgCount(lua.top)) }
        return withThread(lua, client: true) { t in
            let session = t.session
            if session.clientSocket != nil { return pushFailure(lua, NgxStrings.duplicateCall) }
            let s = ClientSocket(readTimeout: Int64(session.server.config.socketReadTimeout))
            session.clientSocket = s
            lua.pushLightUserdata(Unmanaged.passUnretained(s).toOpaque())
            return 1
        }
    }

    static let reqReceive: LuaFunction = { L in
        let lua = Lua(L!)
        return receiveRequest(lua) { req in
            withClient(lua, "receive", yielding: true) { t, s, c in
                lua.setTop(0)
                if req.mode == .size && req.total == 0 {
                    lua.push(static: "")
                    return 1
                }
                return s.receive(t, c, req, lua)
            }
        }
    }

    /// `peek(n)`: n bytes, waited for as `receive(n)` does, left in the input buffer.
    static let reqPeek: LuaFunction = { L in
        let lua = Lua(L!)
        guard lua.top == 2 else { return lua.error(NgxStrings.expectingArgs(2, lua.top)) }
        guard let n = lua.toNumber(2) else {
            return lua.error(NgxStrings.badNumberArg(2, "peek", got: lua.typeName(at: 2)))
        }
        guard n >= 1 else { return lua.error(NgxStrings.peekSize) }
        return withClient(lua, "peek", yielding: true) { t, s, c in
            lua.setTop(0)
            var req = ReadRequest()
            req.total = Int(n)
            req.atLeast = Int(n)
            s.peeking = true
            let r = s.receive(t, c, req, lua)
            if t.parkedOn == nil { s.peeking = false }  // answered at once (or refused: busy reading)
            return r
        }
    }

    /// `shutdown("send")`: ngx.eof() on the client connection.
    static let reqShutdown: LuaFunction = { L in
        let lua = Lua(L!)
        guard lua.top == 2 else { return lua.error(NgxStrings.expectingArgs(2, lua.top)) }
        guard lua.string(2) == "send" else { return lua.error(NgxStrings.shutdownDirection) }
        return withClient(lua, "shutdown") { _, _, c in
            if c.eofSent { return pushFailure(lua, NgxStrings.alreadyShutdown) }
            if c.outputClosed || c.closed { return pushFailure(lua, NgxStrings.closed) }
            c.sendEOF()
            lua.push(1)
            return 1
        }
    }

    static let reqReceiveAny: LuaFunction = { L in
        let lua = Lua(L!)
        return receiveAnyRequest(lua) { req in
            withClient(lua, "receiveany", yielding: true) { t, s, c in
                lua.setTop(0)
                return s.receive(t, c, req, lua)
            }
        }
    }

    static let reqUntilCheck: LuaFunction = { L in
        let lua = Lua(L!)
        return untilOptions(lua) { inclusive in
            withClient(lua, "receiveuntil") { _, _, _ in
                lua.push(inclusive)
                return 1
            }
        }
    }

    static let reqUntilStep: LuaFunction = { L in
        let lua = Lua(L!)
        return untilRequest(lua) { req, pattern in
            withClient(lua, "receiveuntil", yielding: true) { t, s, c in
                lua.setTop(0)
                if s.untilPattern != pattern { s.untilPattern = pattern }
                return s.receive(t, c, req, lua)
            }
        }
    }

    /// `send(data)`: appended to the connection's output (after what `ngx.print` left there), flushed, and
    /// waited for until the client took it all.
    static let reqSend: LuaFunction = { L in
        let lua = Lua(L!)
        guard lua.top == 2 else { return lua.error(NgxStrings.expectingArgs(2, lua.top)) }
        return withClient(lua, "send", yielding: true) { t, s, c in
            if c.writerRef != nil { return pushFailure(lua, NgxStrings.socketBusyWriting) }
            if c.outputClosed || c.closed || c.eofSent { return pushFailure(lua, NgxStrings.closed) }
            c.ensureOutputBuffer()
            let before = c.output.readable
            guard appendValue(lua, 2, arg: 2, name: "send", depth: 0, strict: true, into: &c.output) else {
                c.output.writeIndex = c.output.readIndex + before
                c.releaseOutputIfEmpty()
                return Lua.raise
            }
            let bytes = c.output.readable - before
            if let ms = s.sendTimeout { c.sendTimeoutMs = ms }
            c.flush()
            if c.output.readable == 0 || c.outputClosed || c.closed { return ClientSendWait.pushSent(c, bytes, lua) }
            t.waitA = bytes
            c.writerRef = Unmanaged.passUnretained(t)
            return t.suspend(on: ClientSendWait.self)
        }
    }

    static let reqSetTimeout: LuaFunction = { L in
        let lua = Lua(L!)
        return timeouts(lua, "settimeout") { _, send, read in
            withClient(lua, "settimeout") { _, s, _ in
                setClientTimeouts(s, send, read)
            }
        }
    }

    static let reqSetTimeouts: LuaFunction = { L in
        let lua = Lua(L!)
        return timeouts(lua, "settimeouts") { _, send, read in
            withClient(lua, "settimeouts") { _, s, _ in
                setClientTimeouts(s, send, read)
            }
        }
    }

    private static func setClientTimeouts(_ s: ClientSocket, _ send: Int64?, _ read: Int64?) -> Int32 {
        if let v = send { s.sendTimeout = v }
        if let v = read { s.readTimeout = v }
        return 0
    }
}
