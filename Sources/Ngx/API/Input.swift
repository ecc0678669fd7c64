import LuaKit

/// `data, err, partial = ngx.receive(total, at_least)`: returns as soon as at least `at_least` bytes
/// (default: `total`) are there, at most `total`; `nil, "timeout"|"closed", partial` on failure
/// (read_timeout bounds the time between two reads that bring bytes). `ngx.wait_next_request()`: ends the
/// light session and waits for the client's next bytes (keepalive_timeout bounds the wait; a close ends
/// the session there). Context: process_by_lua*. Both yield.
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
        return withThread(lua, yielding: true) { t in
            lua.setTop(0)
            return ReceiveWait.start(t, lua, total: total, atLeast: atLeast)
        }
    }

    static let ngxWaitNextRequest: LuaFunction = { L in
        let lua = Lua(L!)
        return withThread(lua, yielding: true) { t in NextRequestWait.start(t) }
    }
}

/// `ngx.receive` waiting on the client connection's read side (waitA = total, waitB = at least).
enum ReceiveWait: Suspension {
    static func start(_ t: LuaThread, _ lua: Lua, total: Int, atLeast: Int) -> Int32 {
        let c = t.session.connection
        var progress = false
        switch c.fill(want: atLeast, progress: &progress) {
        case .ready:
            t.receiveBudget += 1
            if t.receiveBudget >= LuaThread.receiveBudgetLimit {  // a handler that only ever finds bytes waiting
                t.waitA = total
                t.waitB = atLeast
                t.runtime.loop.arm(t, afterMs: 0)
                return t.suspend(on: PostedReceive.self)
            }
            return pushData(c, total: total, lua)
        case .closed:
            return pushFailure(c, NgxStrings.receiveError(c.readError), lua)
        case .wait:
            c.releaseInputIfEmpty()
            t.waitA = total
            t.waitB = atLeast
            c.readerRef = Unmanaged.passUnretained(t)
            c.armRead(t.session.readTimeout)
            return t.suspend(on: ReceiveWait.self)
        }
    }

    static func ready(_ t: LuaThread) {
        let c = t.session.connection
        var progress = false
        switch c.fill(want: t.waitB, progress: &progress) {
        case .ready, .closed:
            cancel(t)
            t.wake()
        case .wait:
            c.releaseInputIfEmpty()
            if progress { c.armRead(t.session.readTimeout) }  // read_timeout counts from the last bytes
        }
    }

    static func timedOut(_ t: LuaThread) {
        t.session.connection.readerRef = nil
        t.outcome = .timedOut
        t.wake()
    }

    static func results(_ t: LuaThread, _ lua: Lua) -> Int32 {
        let c = t.session.connection
        if t.outcome == .timedOut { return pushFailure(c, NgxStrings.timeout, lua) }
        if c.input.readable >= t.waitB { return pushData(c, total: t.waitA, lua) }
        return pushFailure(c, NgxStrings.receiveError(c.readError), lua)
    }

    static func cancel(_ t: LuaThread) {
        let c = t.session.connection
        c.readerRef = nil
        c.cancelRead()
    }

    /// Pushes (and consumes) up to `total` buffered bytes.
    static func pushData(_ c: Connection, total: Int, _ lua: Lua) -> Int32 {
        let n = min(total, c.input.readable)
        lua.push(bytes: c.input.readPointer, count: n)
        c.input.consume(n)
        c.releaseInputIfEmpty()
        return 1
    }

    /// Pushes `nil, err, partial`, consuming what is buffered.
    static func pushFailure(_ c: Connection, _ err: String, _ lua: Lua) -> Int32 {
        lua.pushNil()
        lua.push(err)
        if c.input.readable > 0 {
            lua.push(bytes: c.input.readPointer, count: c.input.readable)
            c.input.consume(c.input.readable)
        } else {
            lua.push("")
        }
        c.releaseInputIfEmpty()
        return 3
    }
}

/// A receive whose bytes were already there, posted to the next iteration because the thread used up its
/// budget: the results are made when it runs again.
enum PostedReceive: Suspension {
    static func ready(_ t: LuaThread) {}
    static func timedOut(_ t: LuaThread) { t.wake() }
    static func results(_ t: LuaThread, _ lua: Lua) -> Int32 {
        let c = t.session.connection
        var progress = false
        switch c.fill(want: t.waitB, progress: &progress) {
        case .ready: return ReceiveWait.pushData(c, total: t.waitA, lua)
        case .closed, .wait: return ReceiveWait.pushFailure(c, NgxStrings.receiveError(c.readError), lua)
        }
    }
    static func cancel(_ t: LuaThread) { t.runtime.loop.cancel(t) }
}

/// `ngx.wait_next_request` parked between requests on the read side (keepalive_timeout on its timer).
enum NextRequestWait: Suspension {
    static func start(_ t: LuaThread) -> Int32 {
        let s = t.session
        let c = s.connection
        c.flush()
        s.endRequest()
        var progress = false
        switch c.fill(want: 1, progress: &progress) {
        case .ready:
            t.budget += 1
            return t.budget >= LuaThread.budgetLimit ? PostedWait.post(t) : 0
        case .closed:
            return t.exit()
        case .wait where t.runtime.stopping:  // a graceful stop: no next request on this connection
            return t.exit()
        case .wait:
            c.releaseInputIfEmpty()
            c.readerRef = Unmanaged.passUnretained(t)
            if let ka = s.keepaliveTimeout { c.armRead(Int64(ka)) } else { c.cancelRead() }
            return t.suspend(on: NextRequestWait.self)
        }
    }

    static func ready(_ t: LuaThread) {
        let c = t.session.connection
        var progress = false
        switch c.fill(want: 1, progress: &progress) {
        case .ready:
            cancel(t)
            t.wake()
        case .closed:  // the client closed while idle: what is still unsent drains first
            t.end()
        case .wait:
            c.releaseInputIfEmpty()
        }
    }

    /// keepalive_timeout: unsent output still gets send_timeout to drain.
    static func timedOut(_ t: LuaThread) { t.end() }

    static func results(_ t: LuaThread, _ lua: Lua) -> Int32 { 0 }

    static func cancel(_ t: LuaThread) {
        let c = t.session.connection
        c.readerRef = nil
        c.cancelRead()
    }
}
