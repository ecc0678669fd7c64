import CShim
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
            // Truncated before it is compared, as the seed's lua_tointeger.
            guard a >= 1, a.rounded(.towardZero) <= Double(total) else {
                return lua.error(NgxStrings.receiveAtLeast(total))
            }
            atLeast = Int(a)
        }
        return withThread(lua, yielding: true, client: true) { t in
            lua.setTop(0)
            return ReceiveWait.start(t, lua, total: total, atLeast: atLeast)
        }
    }

    /// Where the coroutine cannot yield, a wait whose next bytes are buffered ends the light session and
    /// returns (the seed returns at once when they are there); one that may have to wait raises before
    /// anything ends.
    static let ngxWaitNextRequest: LuaFunction = { L in
        let lua = Lua(L!)
        return withThread(lua, yielding: true, client: true) { t in
            if lua_isyieldable(lua.L) != 0 { return NextRequestWait.start(t) }
            guard t.session.connection.input.readable > 0 else { return lua.error(NgxStrings.cannotYield) }
            return unyielding(t, NextRequestWait.begin(t), lua)
        }
    }

    /// The second half of `wait_next_request` after the fast path's `begin` (argument: its code).
    static let ngxParkNextRequest: LuaFunction = { L in
        let lua = Lua(L!)
        let next = NextRequestWait.Next(rawValue: Int32(lua.toNumber(1) ?? 1)) ?? .park
        return withThread(lua, yielding: true, client: true) { t in
            lua_isyieldable(lua.L) != 0 ? NextRequestWait.park(t, next) : unyielding(t, next, lua)
        }
    }

    /// `wait_next_request` after `begin` where the coroutine cannot yield: the next request that is there is
    /// served at once, budget or not (its turn cannot be given up here); anything else raises.
    private static func unyielding(_ t: LuaThread, _ next: NextRequestWait.Next, _ lua: Lua) -> Int32 {
        if next == .ready || (next == .park && t.session.connection.input.readable > 0) { return 0 }
        return lua.error(NgxStrings.cannotYield)
    }
}

/// `ngx.receive` waiting on the client connection's read side (waitA = total, waitB = at least).
enum ReceiveWait: Suspension {
    static func start(_ t: LuaThread, _ lua: Lua, total: Int, atLeast: Int) -> Int32 {
        let c = t.session.connection
        var progress = false
        switch c.fill(want: atLeast, progress: &progress) {
        case .ready:
            // A handler that only ever finds bytes waiting (where it can yield: else they are returned).
            if tl_spend_receive_budget() != 0 && lua_isyieldable(lua.L) != 0 {
                t.waitA = total
                t.waitB = atLeast
                t.loopRef._withUnsafeGuaranteedRef { $0.arm(t, afterMs: 0) }
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
        t.withConnection { c in
            c.readerRef = nil
            c.disarmRead()
        }
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
    static func cancel(_ t: LuaThread) { t.loopRef._withUnsafeGuaranteedRef { $0.cancel(t) } }
}

/// `ngx.wait_next_request` parked between requests on the read side (keepalive_timeout on its timer).
enum NextRequestWait: Suspension {
    /// What `begin` found.
    enum Next: Int32 {
        /// The next request's bytes are there: return at once.
        case ready = 0
        /// Wait for them (or, past the thread's budget, run again on the next iteration).
        case park = 1
        /// The client closed, or a graceful stop began: the session ends here.
        case exit = 2
    }

    static func start(_ t: LuaThread) -> Int32 {
        let next = begin(t)
        return next == .ready ? 0 : park(t, next)
    }

    /// Ends the light session and looks for the next request's bytes; no Lua, no yield (the fast path
    /// calls it through the FFI).
    static func begin(_ t: LuaThread) -> Next {
        t.withSession { s in s.connectionRef._withUnsafeGuaranteedRef { c in begin(t, s, c) } }
    }

    @inline(__always) static func begin(_ t: LuaThread, _ s: Session, _ c: Connection) -> Next {
        c.flush()
        s.endRequest()
        var progress = false
        switch c.fill(want: 1, progress: &progress) {
        case .ready:
            t.budget += 1
            return t.budget >= LuaThread.budgetLimit ? .park : .ready
        case .closed:
            return .exit
        case .wait:
            return t.runtime.stopping ? .exit : .park  // a graceful stop: no next request on this connection
        }
    }

    /// Parks the thread after `begin` (from the running thread's own coroutine).
    static func park(_ t: LuaThread, _ next: Next) -> Int32 {
        t.withSession { s in s.connectionRef._withUnsafeGuaranteedRef { c in park(t, next, s, c) } }
    }

    @inline(__always) private static func park(_ t: LuaThread, _ next: Next, _ s: Session, _ c: Connection) -> Int32 {
        switch next {
        case .ready:
            return 0
        case .exit:
            return t.exit()
        case .park where c.input.readable > 0:  // the budget is spent: the next request waits one turn
            return PostedWait.post(t)
        case .park:
            armWait(t, s, c)
            return t.suspend(on: NextRequestWait.self)
        }
    }

    /// What the wait for the next request arms: the connection's reader and its keepalive timer (the empty
    /// input buffer goes back to the pool while the connection idles).
    @inline(__always) private static func armWait(_ t: LuaThread, _ s: Session, _ c: Connection) {
        c.releaseInputIfEmpty()
        c.readerRef = Unmanaged.passUnretained(t)
        if let ka = s.keepaliveTimeout { c.armRead(Int64(ka)) } else { c.cancelRead() }
    }

    /// After the plain park's yield (`tl_yield_park`, called by the Lua layer when nothing was buffered; nothing
    /// ran since), with the thread's session and its connection: `begin` (the output goes out, the light
    /// session ends, the next bytes are looked for), then the park, or the session's end. True when the thread
    /// runs on at once (the next bytes were readable already, within its budget): its yield then returns
    /// nothing, as the call does.
    @inline(__always) static func afterYield(_ t: LuaThread, _ s: Session, _ c: Connection) -> Bool {
        switch begin(t, s, c) {
        case .ready:
            return true
        case .exit:
            s.exit(from: t)
        case .park where c.input.readable > 0:  // the budget is spent: the next request waits one turn
            PostedWait.postYielded(t)
        case .park:
            armWait(t, s, c)
            t.park(on: NextRequestWait.self)
        }
        return false
    }

    static func ready(_ t: LuaThread) { t.withConnection { c in ready(Unmanaged.passUnretained(t), c) } }

    /// `ready` with the connection at hand (its read event calls it directly: `Connection.handleEvent`).
    @inline(__always) static func ready(_ r: Unmanaged<LuaThread>, _ c: Connection) {
        var progress = false
        switch c.fill(want: 1, progress: &progress) {
        case .ready:
            c.readerRef = nil
            c.disarmRead()
            r._withUnsafeGuaranteedRef { $0.wake() }
        case .closed:  // the client closed while idle: what is still unsent drains first
            r._withUnsafeGuaranteedRef { $0.end() }
        case .wait:
            c.releaseInputIfEmpty()
        }
    }

    /// keepalive_timeout: unsent output still gets send_timeout to drain.
    static func timedOut(_ t: LuaThread) { t.end() }

    static func results(_ t: LuaThread, _ lua: Lua) -> Int32 { 0 }

    static func cancel(_ t: LuaThread) {
        t.withConnection { c in
            c.readerRef = nil
            c.disarmRead()
        }
    }
}
