import LuaKit

/// `ngx.req.socket()`'s object: the client connection seen as a cosocket. It owns no connection (the
/// session's is read and written, sharing its input buffer with `ngx.receive` and its output with
/// `ngx.print`); it keeps the receive in progress, the `receiveuntil` pattern and its timeouts. One per
/// session, made by the first `ngx.req.socket()` call.
final class ClientSocket: ConnectionReader {
    var read = ReadRequest()
    var untilPattern: [UInt8] = []
    /// `lua_socket_read_timeout`, or what `settimeout(s)` set.
    var readTimeout: Int64
    /// What `settimeout(s)` set for sends (nil: the connection's send_timeout).
    var sendTimeout: Int64?
    /// The receive in progress is a `peek(n)`: its bytes stay in the input buffer.
    var peeking = false

    init(readTimeout: Int64) { self.readTimeout = readTimeout }

    /// Starts a receive on the client connection: its results at once, or the thread parked until they are
    /// there (the read side's timer is the read timeout, which leaves the socket usable).
    func receive(_ t: LuaThread, _ c: Connection, _ req: ReadRequest, _ lua: Lua) -> Int32 {
        if c.readerRef != nil {
            lua.pushNil()
            lua.push(NgxStrings.socketBusyReading)
            return 2
        }
        read = req
        var progress = false
        let st = readStatus(c, progress: &progress)
        if st != .wait { return pushRead(c, st, timedOut: false, lua) }
        c.releaseInputIfEmpty()
        c.readerRef = Unmanaged.passUnretained(t)
        c.armRead(readTimeout)
        return t.suspend(on: ClientReadWait.self)
    }

    /// The finished receive's results: data, or `nil, "timeout" | "closed", partial`.
    func pushRead(_ c: Connection, _ status: ReadStatus, timedOut: Bool, _ lua: Lua) -> Int32 {
        if peeking {
            peeking = false
            if timedOut || status == .failed {
                lua.pushNil()
                lua.push(timedOut ? NgxStrings.timeout : NgxStrings.receiveError(c.readError))
                return 2
            }
            lua.push(bytes: c.input.readPointer, count: read.total)
            return 1
        }
        if timedOut { return pushPartial(c, NgxStrings.timeout, lua) }
        if status == .failed { return pushPartial(c, NgxStrings.receiveError(c.readError), lua) }
        return pushData(c, lua)
    }
}

extension LuaThread {
    @inline(__always) var clientSocket: ClientSocket { session.clientSocket! }
}

/// A client socket receive waiting for bytes on the client connection's read side.
enum ClientReadWait: Suspension {
    static func ready(_ t: LuaThread) {
        let c = t.session.connection
        let s = t.clientSocket
        var progress = false
        if s.readStatus(c, progress: &progress) == .wait {
            c.releaseInputIfEmpty()
            if progress { c.armRead(s.readTimeout) }
            return
        }
        cancel(t)
        t.wake()
    }

    static func timedOut(_ t: LuaThread) {
        t.session.connection.readerRef = nil
        t.outcome = .timedOut
        t.wake()
    }

    static func results(_ t: LuaThread, _ lua: Lua) -> Int32 {
        let c = t.session.connection
        let s = t.clientSocket
        if t.outcome == .timedOut { return s.pushRead(c, .failed, timedOut: true, lua) }
        var progress = false
        let st = s.readStatus(c, progress: &progress)  // ready or failed by now
        return s.pushRead(c, st == .wait ? .failed : st, timedOut: false, lua)
    }

    static func cancel(_ t: LuaThread) {
        let c = t.session.connection
        c.readerRef = nil
        c.cancelRead()
    }
}

/// A client socket send waiting until the client took every byte of the connection's output
/// (waitA = the byte count). send_timeout closes the connection: the send returns `nil, "timeout"`.
enum ClientSendWait: Suspension {
    static func ready(_ t: LuaThread) { wakeOnceDrained(t) }

    /// Wakes `t`, the client connection's writer, once its output is all sent (or can no longer be).
    static func wakeOnceDrained(_ t: LuaThread) {
        let c = t.session.connection
        if c.closed || c.outputClosed || c.output.readable == 0 {
            c.writerRef = nil
            t.wake()
        }
    }

    static func timedOut(_ t: LuaThread) {}

    static func results(_ t: LuaThread, _ lua: Lua) -> Int32 { pushSent(t.session.connection, t.waitA, lua) }

    static func cancel(_ t: LuaThread) { t.session.connection.writerRef = nil }

    /// The bytes sent, or `nil, "timeout" | "closed"`.
    static func pushSent(_ c: Connection, _ bytes: Int, _ lua: Lua) -> Int32 {
        if c.sendTimedOut || c.outputClosed || c.closed {
            lua.pushNil()
            lua.push(c.sendTimedOut ? NgxStrings.timeout : NgxStrings.closed)
            return 2
        }
        lua.push(bytes)
        return 1
    }
}
