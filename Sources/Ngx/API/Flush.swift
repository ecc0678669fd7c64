import CLuaJIT
import LuaKit

/// `ok, err = ngx.flush(wait?)` and `ok, err = ngx.eof()`, as stream-lua has them:
/// - `flush` writes what `print`/`say` buffered; with `wait = true` it also waits until the client took every
///   byte (send_timeout: `nil, "timeout"`; a failed write: `nil, "client aborted"`). Returns 1.
/// - `eof` ends the output: what is buffered is sent, then the write side is shut (the client reads EOF while
///   the session can still receive); later `print`, `say`, `flush` and `eof` return `nil, "seen eof"`.
/// Context: the content handler. `flush(true)` yields while the client is behind.
extension NgxAPI {
    static func injectFlush(_ lua: Lua) {
        runLayer(lua, flushWrappers, chunkName: "=ngx.flush") {
            lua.push(ngxFlush)
            lua.push(ngxEOF)
            return 2
        }
    }

    static let flushWrappers = """
        local ngx, YIELD, results, yield, flush, eof = ...
        ngx.flush = function(...)
          local ok, err = flush(...)
          if ok == YIELD then yield() return results() end
          if ok then return ok end
          return nil, err
        end
        ngx.eof = eof
        """

    static let ngxFlush: LuaFunction = { L in
        let lua = Lua(L!)
        let n = lua.top
        guard n <= 1 else { return lua.error(NgxStrings.flushArgCount(n)) }
        if n == 1 && lua.type(at: 1) != .boolean { return lua.error(NgxStrings.flushNotBoolean(lua.typeName(at: 1))) }
        let wait = n == 1 && lua.toBool(1)
        return withThread(lua, client: true) { t in
            let c = t.session.connection
            if c.eofSent { return pushFailure(lua, NgxStrings.seenEOF) }
            c.flush()
            if wait && c.output.readable > 0 && !c.outputClosed && !c.closed {
                if c.writerRef != nil { return pushFailure(lua, NgxStrings.socketBusyWriting) }
                c.writerRef = Unmanaged.passUnretained(t)
                return t.suspend(on: FlushWait.self)
            }
            return FlushWait.pushFlushed(c, lua)
        }
    }

    static let ngxEOF: LuaFunction = { L in
        let lua = Lua(L!)
        guard lua.top == 0 else { return lua.error(NgxStrings.eofNoArgument) }
        return withThread(lua, client: true) { t in
            let c = t.session.connection
            if c.eofSent { return pushFailure(lua, NgxStrings.seenEOF) }
            c.sendEOF()
            lua.push(1)
            return 1
        }
    }
}

/// `ngx.flush(true)` waiting until the client took every byte of the connection's output.
enum FlushWait: Suspension {
    static func ready(_ t: LuaThread) { ClientSendWait.wakeOnceDrained(t) }

    static func timedOut(_ t: LuaThread) {}

    static func results(_ t: LuaThread, _ lua: Lua) -> Int32 { pushFlushed(t.session.connection, lua) }

    static func cancel(_ t: LuaThread) { t.session.connection.writerRef = nil }

    /// 1, or `nil, "timeout"` (send_timeout passed) or `nil, "client aborted"` (the client is gone).
    static func pushFlushed(_ c: Connection, _ lua: Lua) -> Int32 {
        if c.sendTimedOut || c.outputClosed || c.closed {
            lua.pushNil()
            lua.push(c.sendTimedOut ? NgxStrings.timeout : NgxStrings.clientAborted)
            return 2
        }
        lua.push(1)
        return 1
    }
}
