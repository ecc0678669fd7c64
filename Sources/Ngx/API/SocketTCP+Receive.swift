import LuaKit

/// The TCP cosocket receives: `receive(total, at_least?)`, `receive(n)`, `receive("*l" | "*a")`,
/// `receive()`, `receiveany(max)`, and the Swift halves of `receiveuntil` iterators. All yield while the
/// bytes they need are not there; results are `data` or `nil, err, partial`.
extension NgxAPI {
    // MARK: receive

    static let tcpReceive: LuaFunction = { L in
        let lua = Lua(L!)
        return receiveRequest(lua) { req in
            withTCP(lua, "receive", yielding: true) { t, s in
                lua.setTop(0)
                if req.mode == .size && req.total == 0 && s.isConnected {
                    lua.push(static: "")
                    return 1
                }
                return startReceive(t, s, req, lua)
            }
        }
    }

    /// Checks `receive`'s arguments (self, pattern | total, at_least?) and runs `body` with the request.
    static func receiveRequest(_ lua: Lua, _ body: (ReadRequest) -> Int32) -> Int32 {
        let argc = lua.top
        guard argc >= 1, argc <= 3 else {
            return lua.error("expecting 1, 2 or 3 arguments (including the object), but got \(argc)")
        }
        var req = ReadRequest()
        if argc == 1 || lua.isNoneOrNil(2) {
            req.mode = .line
        } else if let n = lua.coerceNumber(2) {
            // Both counts are taken as integers first (truncated, as the seed's and OpenResty's lua_tointeger).
            guard n > -1, n < 1e12 else { return lua.error(NgxStrings.badPattern) }
            req.total = Int(n)
            req.atLeast = req.total
            if argc == 3, !lua.isNoneOrNil(3) {
                guard let a = lua.coerceNumber(3), a >= 1, a.rounded(.towardZero) <= Double(req.total) else {
                    return lua.error(NgxStrings.receiveAtLeast(req.total))
                }
                req.atLeast = Int(a)
            }
        } else if lua.type(at: 2) == .string, let p = lua.string(2) {
            if p == "*l" {
                req.mode = .line
            } else if p == "*a" {
                req.mode = .all
            } else {
                return lua.error(NgxStrings.badPatternArg(p))
            }
        } else {
            return lua.error(NgxStrings.badPatternArg(lua.typeName(at: 2)))
        }
        return body(req)
    }

    static let tcpReceiveAny: LuaFunction = { L in
        let lua = Lua(L!)
        return receiveAnyRequest(lua) { req in
            withTCP(lua, "receiveany", yielding: true) { t, s in
                lua.setTop(0)
                return startReceive(t, s, req, lua)
            }
        }
    }

    /// Checks `receiveany`'s arguments (self, max) and runs `body` with the request.
    static func receiveAnyRequest(_ lua: Lua, _ body: (ReadRequest) -> Int32) -> Int32 {
        guard lua.top == 2 else { return lua.error("expecting 2 arguments (including the object), but got \(lua.top)") }
        guard let n = lua.coerceNumber(2), n >= 1 else { return lua.error(NgxStrings.receiveanyMax) }
        var req = ReadRequest()
        req.mode = .any
        req.total = n < 1e12 ? Int(n) : 1 << 40
        return body(req)
    }

    /// `receiveuntil(pattern, opts)`'s checks; returns `inclusive`.
    static let tcpUntilCheck: LuaFunction = { L in
        let lua = Lua(L!)
        return untilOptions(lua) { inclusive in
            withTCP(lua, "receiveuntil") { _, _ in
                lua.push(inclusive)
                return 1
            }
        }
    }

    /// Checks `receiveuntil`'s arguments (self, pattern, opts?) and runs `body` with `inclusive`.
    static func untilOptions(_ lua: Lua, _ body: (Bool) -> Int32) -> Int32 {
        guard lua.top >= 2, lua.top <= 3 else {
            return lua.error("expecting 2 or 3 arguments (including the object), but got \(lua.top)")
        }
        guard lua.type(at: 2) == .string || lua.type(at: 2) == .number, let b = lua.bytes(2) else {
            return lua.error(NgxStrings.badStringArg(2, "receiveuntil", got: lua.typeName(at: 2)))
        }
        guard b.count > 0 else {  // soft, as ngx_lua's receiveuntil
            lua.pushNil()
            lua.push(NgxStrings.patternEmpty)
            return 2
        }
        var inclusive = false
        if lua.type(at: 3) == .table {
            lua.getField(3, "inclusive")
            if !lua.isNoneOrNil(-1) {
                guard lua.type(at: -1) == .boolean else {
                    return lua.error("bad \"inclusive\" option value type: \(lua.typeName(at: -1))")
                }
                inclusive = lua.toBool(-1)
            }
        } else if !lua.isNoneOrNil(3) {
            return lua.error("bad argument #3 to 'receiveuntil' (table expected, got \(lua.typeName(at: 3)))")
        }
        return body(inclusive)
    }

    /// One call of a `receiveuntil` iterator: (self, pattern, inclusive, size?).
    static let tcpUntilStep: LuaFunction = { L in
        let lua = Lua(L!)
        return untilRequest(lua) { req, pattern in
            withTCP(lua, "receiveuntil", yielding: true) { t, s in
                lua.setTop(0)
                if s.untilPattern != pattern { s.untilPattern = pattern }
                return startReceive(t, s, req, lua)
            }
        }
    }

    /// Checks an iterator call's arguments (self, pattern, inclusive, size?) and runs `body` with the request.
    static func untilRequest(_ lua: Lua, _ body: (ReadRequest, [UInt8]) -> Int32) -> Int32 {
        var req = ReadRequest()
        req.mode = .until
        guard let b = lua.bytes(2) else { return lua.error(NgxStrings.patternEmpty) }
        let pattern = Array(b)
        req.inclusive = lua.toBool(3)
        if !lua.isNoneOrNil(4) {
            // As OpenResty takes the size: a number or a numeric string; below 1, no size (up to the pattern).
            guard let n = lua.coerceNumber(4), !n.isNaN else {
                return lua.error(NgxStrings.badNumberArg(1, "iterator"))
            }
            if n >= 1 { req.chunk = n < 1e12 ? Int(n) : 1 << 40 }
        }
        return body(req, pattern)
    }

    static func startReceive(_ t: LuaThread, _ s: TCPSocket, _ req: ReadRequest, _ lua: Lua) -> Int32 {
        guard let c = s.connection else {
            s.logError(NgxStrings.logReceiveClosed)
            lua.pushNil()
            lua.push(NgxStrings.closed)
            return 2
        }
        if c.reader != nil { return pushFailure(lua, NgxStrings.socketBusyReading) }
        s.read = req
        return SocketReadWait.start(t, s, lua)
    }
}
