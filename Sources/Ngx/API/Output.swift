import CLuaJIT
import EventLoop
import LuaKit

/// `bytes, "ok" = ngx.print(...)`, `ngx.say(...)` (adds "\n").
/// Context: process_by_lua*. Yields only while the client is behind. Arguments: strings, numbers, booleans, nil, ngx.null and array tables (nested,
/// flattened). Output is sent when the session next yields; once more than `sendLimit` bytes are unsent
/// the call yields until the client drains them, or returns `nil, "timeout"` after send_timeout.
/// Returns `nil, "closed"` once the connection cannot be written.
extension NgxAPI {
    static func injectOutput(_ lua: Lua) {
        lua.push(ngxPrint)
        lua.setField(-2, "print")
        lua.push(ngxSay)
        lua.setField(-2, "say")
        injectFlush(lua)
    }

    static let ngxPrint: LuaFunction = { L in output(Lua(L!), newline: false, name: "print") }
    static let ngxSay: LuaFunction = { L in output(Lua(L!), newline: true, name: "say") }

    static func output(_ lua: Lua, newline: Bool, name: StaticString) -> Int32 {
        withThread(lua, client: true) { t in output(lua, t, newline: newline, name: name) }
    }

    @inline(__always)
    static func output(_ lua: Lua, _ t: LuaThread, newline: Bool, name: StaticString) -> Int32 {
        let c = t.session.connection
        if c.eofSent {
            lua.pushNil()
            lua.push(NgxStrings.seenEOF)
            return 2
        }
        let limit = c.sendLimit
        c.ensureOutputBuffer()
        let before = c.output.readable  // not an index: growing the buffer may move the bytes to its front
        let argc = lua.top
        var i: Int32 = 1
        while i <= argc {  // a plain loop: no iterator on the hot path, even unoptimised
            if !appendValue(lua, i, arg: i, name: name, depth: 0, into: &c.output) {
                c.output.writeIndex = c.output.readIndex + before
                c.releaseOutputIfEmpty()
                return Lua.raise
            }
            i += 1
        }
        if newline {
            var nl: UInt8 = 10
            c.output.append(&nl, 1)
        }
        let bytes = c.output.readable - before
        if c.outputClosed || c.closed {
            c.output.writeIndex = c.output.readIndex + before
            c.releaseOutputIfEmpty()
            lua.pushNil()
            lua.push(NgxStrings.closed)
            return 2
        }
        if c.output.readable >= limit {
            c.flush()
            // A user coroutine waits too (the thread layer passes the yield up); where nothing can yield (a
            // metamethod, a sort comparator) the bytes stay buffered beyond the limit.
            if c.output.readable >= limit && !c.outputClosed && !c.closed && lua_isyieldable(lua.L) != 0 {
                t.waitA = bytes
                c.writerRef = Unmanaged.passUnretained(t)
                return t.suspend(on: PrintWait.self)
            }
        }
        return pushWriteResult(c, bytes, lua)
    }

    /// `bytes, "ok"`, or `nil, "closed"` once the connection cannot be written.
    static func pushWriteResult(_ c: Connection, _ bytes: Int, _ lua: Lua) -> Int32 {
        if c.outputClosed || c.closed {
            lua.pushNil()
            lua.push(NgxStrings.closed)
        } else {
            lua.push(bytes)
            lua.push(static: "ok")
        }
        return 2
    }

    /// Appends the value at `idx` to `buf` as ngx.print does, or as a cosocket's send does (`strict`, where
    /// an element of a table that is nil, a boolean or ngx.null is refused, and so is ngx.null itself); false with
    /// the message pushed for a bad value. A table's length is its largest positive integer key (stream-lua's):
    /// a hole is nil.
    static func appendValue(
        _ lua: Lua,
        _ idx: Int32,
        arg: Int32,
        name: StaticString,
        depth: Int,
        strict: Bool = false,
        into buf: inout ByteBuffer
    )
        -> Bool
    {
        switch lua.type(at: idx) {
        case .string, .number:
            let b = lua.bytes(idx)!
            if let p = b.baseAddress { buf.append(p, b.count) }
            return true
        case .nil where !strict || depth == 0:
            appendLiteral("nil", &buf)
            return true
        case .boolean where !strict || depth == 0:
            appendLiteral(lua.toBool(idx) ? "true" : "false", &buf)
            return true
        case .lightUserdata where !strict && lua.toUserdata(idx) == nil:
            appendLiteral("null", &buf)
            return true
        case .table:
            guard depth < 100 else {
                lua.push("bad argument #\(arg) to '\(name)' (table nested too deeply)")
                return false
            }
            let t = idx > 0 ? idx : lua.top + idx + 1
            guard let n = arrayLength(lua, t) else {
                lua.push("bad argument #\(arg) to '\(name)' (\(NgxStrings.nonArrayTable))")
                return false
            }
            var k: Int32 = 1
            while k <= Int32(n) {
                lua.rawGetI(t, k)
                if !appendValue(lua, lua.top, arg: arg, name: name, depth: depth + 1, strict: strict, into: &buf) {
                    lua.remove(at: -2)
                    return false
                }
                lua.pop()
                k += 1
            }
            return true
        default:
            let type = lua.typeName(at: idx)
            if depth > 0 {
                lua.push(NgxStrings.badTableElement(arg, name, type))
            } else {
                lua.push(strict ? NgxStrings.badSendArg(arg, name, type) : NgxStrings.badOutputArg(arg, name, type))
            }
            return false
        }
    }

    /// The largest positive integer key of a table, or nil when it has any other key.
    static func arrayLength(_ lua: Lua, _ t: Int32) -> Int? {
        var maxKey = 0
        lua.pushNil()
        while lua.next(t) {
            lua.pop()
            guard lua.type(at: -1) == .number, let k = lua.toNumber(-1), k >= 1, k == k.rounded(), k < 1e9 else {
                lua.pop()
                return nil
            }
            maxKey = max(maxKey, Int(k))
        }
        return maxKey
    }

    static func appendLiteral(_ s: StaticString, _ buf: inout ByteBuffer) {
        buf.append(s.utf8Start, s.utf8CodeUnitCount)
    }
}

/// `ngx.print` waiting on the write side until the unsent output is under the limit (waitA = bytes).
/// The write side's timer is send_timeout, which closes the connection: the print returns `nil, "timeout"`.
enum PrintWait: Suspension {
    static func ready(_ t: LuaThread) {
        let c = t.session.connection
        if c.closed || c.outputClosed || c.output.readable < c.sendLimit {
            c.writerRef = nil
            t.wake()
        }
    }

    static func timedOut(_ t: LuaThread) {}

    static func results(_ t: LuaThread, _ lua: Lua) -> Int32 {
        let c = t.session.connection
        if c.sendTimedOut {
            lua.pushNil()
            lua.push(NgxStrings.timeout)
            return 2
        }
        return NgxAPI.pushWriteResult(c, t.waitA, lua)
    }

    static func cancel(_ t: LuaThread) { t.session.connection.writerRef = nil }
}
