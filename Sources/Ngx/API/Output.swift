import CLuaJIT
import EventLoop
import LuaKit

/// `bytes, "ok" = ngx.print(...)`, `ngx.say(...)` (adds "\n").
/// Context: process_by_lua*. Arguments: strings, numbers, booleans, nil, ngx.null and array tables (nested,
/// flattened). Output is sent when the session next yields; once more than `sendLimit` bytes are unsent
/// the call yields until the client drains them, or returns `nil, "timeout"` after send_timeout.
/// Returns `nil, "closed"` once the connection cannot be written.
extension NgxAPI {
    static func injectOutput(_ lua: Lua) {
        lua.push(ngxPrint)
        lua.setField(-2, "print")
        lua.push(ngxSay)
        lua.setField(-2, "say")
    }

    static let ngxPrint: LuaFunction = { L in output(Lua(L!), newline: false, name: "print") }
    static let ngxSay: LuaFunction = { L in output(Lua(L!), newline: true, name: "say") }

    static func output(_ lua: Lua, newline: Bool, name: StaticString) -> Int32 {
        withSession(lua) { s in output(lua, s, newline: newline, name: name) }
    }

    @inline(__always)
    static func output(_ lua: Lua, _ s: Session, newline: Bool, name: StaticString) -> Int32 {
        let rt = s.runtime
        if s.co != lua.L && s.pendingOut.readable >= rt.sendLimit && !s.outputClosed {
            // A user coroutine cannot wait for the client: nothing more is buffered, the seed's non-blocking answer.
            s.flushPending()
            if s.pendingOut.readable >= rt.sendLimit {
                lua.pushNil()
                lua.push(NgxStrings.wouldBlock)
                return 2
            }
        }
        let start = rt.out.writeIndex
        let argc = lua.top
        var i: Int32 = 1
        while i <= argc {  // a plain loop: no iterator on the hot path, even unoptimised
            if !appendValue(lua, i, arg: i, name: name, depth: 0, into: &rt.out) {
                rt.out.writeIndex = start
                return Lua.raise
            }
            i += 1
        }
        if newline {
            var nl: UInt8 = 10
            rt.out.append(&nl, 1)
        }
        let bytes = rt.out.writeIndex - start
        if s.outputClosed {
            rt.out.writeIndex = start
            lua.pushNil()
            lua.push(NgxStrings.closed)
            return 2
        }
        if s.unsent >= rt.sendLimit {
            s.flush()
            if s.pendingOut.readable >= rt.sendLimit && !s.outputClosed {
                guard s.co == lua.L else {  // from a user coroutine: sent when the client reads (bounded above)
                    s.pushWriteResult(bytes, on: lua)
                    return 2
                }
                s.wait = .write(bytes: bytes)
                rt.loop.arm(s.timer, afterMs: Int64(s.server.config.sendTimeout))
                return Lua.yield(0)
            }
        }
        s.pushWriteResult(bytes, on: lua)
        return 2
    }

    /// Appends the value at `idx` to `buf`; false with an error message pushed for a bad value.
    static func appendValue(
        _ lua: Lua,
        _ idx: Int32,
        arg: Int32,
        name: StaticString,
        depth: Int,
        into buf: inout ByteBuffer
    )
        -> Bool
    {
        switch lua.type(at: idx) {
        case .string, .number:
            let b = lua.bytes(idx)!
            if let p = b.baseAddress { buf.append(p, b.count) }
        case .nil:
            appendLiteral("nil", &buf)
        case .boolean:
            appendLiteral(lua.toBool(idx) ? "true" : "false", &buf)
        case .lightUserdata where lua.toUserdata(idx) == nil:
            appendLiteral("null", &buf)
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
                if !appendValue(lua, lua.top, arg: arg, name: name, depth: depth + 1, into: &buf) {
                    lua.remove(at: -2)
                    return false
                }
                lua.pop()
                k += 1
            }
        default:
            lua.push(NgxStrings.badOutputArg(arg, name, lua.typeName(at: idx)))
            return false
        }
        return true
    }

    /// The length of an array table (keys exactly 1...n), or nil when any other key is present.
    static func arrayLength(_ lua: Lua, _ t: Int32) -> Int? {
        var count = 0
        var maxKey = 0
        lua.pushNil()
        while lua.next(t) {
            lua.pop()
            guard lua.type(at: -1) == .number, let k = lua.toNumber(-1), k >= 1, k == k.rounded(), k < 1e9 else {
                lua.pop()
                return nil
            }
            count += 1
            maxKey = max(maxKey, Int(k))
        }
        return count == maxKey ? count : nil
    }

    static func appendLiteral(_ s: StaticString, _ buf: inout ByteBuffer) {
        buf.append(s.utf8Start, s.utf8CodeUnitCount)
    }
}
