import EventLoop
import Glibc
import LuaKit

/// The cosocket waits. The socket is `t.waitSocket`; the connection's sides find the thread as their
/// reader or writer. Connect uses the thread's own timer; send the connection's write-side timer (its send
/// timeout closes the socket); receive the read side's (a read timeout leaves the socket usable).
extension LuaThread {
    @inline(__always) var tcpSocket: TCPSocket { unsafeDowncast(waitSocket!, to: TCPSocket.self) }
}

/// A non-blocking connect in progress: writability (or an error) ends it.
enum ConnectWait: Suspension {
    static func start(_ t: LuaThread, _ s: TCPSocket) -> Int32 {
        let c = s.connection!
        t.waitSocket = s
        c.writer = t
        t.runtime.loop.arm(t, afterMs: s.connectTimeout)
        return t.suspend(on: ConnectWait.self)
    }

    static func ready(_ t: LuaThread) {
        let s = t.tcpSocket
        guard let c = s.connection, c.writable || c.peerClosed else { return }
        cancel(t)
        t.wake()
    }

    static func timedOut(_ t: LuaThread) {
        let s = t.tcpSocket
        s.connection?.writer = nil
        s.connectError = ETIMEDOUT
        t.outcome = .timedOut
        t.wake()
    }

    static func results(_ t: LuaThread, _ lua: Lua) -> Int32 {
        let s = t.tcpSocket
        if t.outcome == .timedOut {
            s.close()
            s.logError(NgxStrings.logConnectTimedOut(s.peer))
            return pushError(lua, NgxStrings.timeout)
        }
        if let e = s.connectOutcome() {
            s.close()
            s.logError(NgxStrings.logConnectFailed(s.peer, e))
            return pushError(lua, NgxStrings.socketError(e))
        }
        lua.push(1)
        return 1
    }

    static func cancel(_ t: LuaThread) {
        t.tcpSocket.connection?.writer = nil
        t.runtime.loop.cancel(t)
    }

    static func pushError(_ lua: Lua, _ err: String) -> Int32 {
        lua.pushNil()
        lua.push(err)
        return 2
    }
}

/// A send whose bytes the kernel has not all taken yet (waitA = the byte count).
enum SendWait: Suspension {
    static func ready(_ t: LuaThread) {
        let s = t.tcpSocket
        if let c = s.connection, c.output.readable > 0, !c.outputClosed { return }
        cancel(t)
        t.wake()
    }

    static func timedOut(_ t: LuaThread) {}

    static func results(_ t: LuaThread, _ lua: Lua) -> Int32 { pushSent(t.tcpSocket, t.waitA, lua) }

    static func cancel(_ t: LuaThread) { t.tcpSocket.connection?.writer = nil }

    /// The bytes sent, or `nil, err` (a failed or timed-out send closes the socket).
    static func pushSent(_ s: TCPSocket, _ bytes: Int, _ lua: Lua) -> Int32 {
        if s.sendTimedOut {
            s.sendTimedOut = false
            return ConnectWait.pushError(lua, NgxStrings.timeout)
        }
        guard let c = s.connection, !c.outputClosed, !c.closed else {
            let e = s.connection?.writeError ?? 0
            if e != 0 { s.logError(NgxStrings.logSendFailed(e)) }
            s.close()
            return ConnectWait.pushError(lua, NgxStrings.socketError(e))
        }
        lua.push(bytes)
        return 1
    }
}

/// A receive waiting for bytes on the socket's read side.
enum SocketReadWait: Suspension {
    static func start(_ t: LuaThread, _ s: TCPSocket, _ lua: Lua) -> Int32 {
        var progress = false
        let st = s.readStatus(progress: &progress)
        if st != .wait { return s.pushRead(st, timedOut: false, lua) }
        let c = s.connection!
        c.releaseInputIfEmpty()
        t.waitSocket = s
        c.reader = t
        c.armRead(s.readTimeout)
        return t.suspend(on: SocketReadWait.self)
    }

    static func ready(_ t: LuaThread) {
        let s = t.tcpSocket
        var progress = false
        if s.readStatus(progress: &progress) == .wait {
            if progress, let c = s.connection { c.armRead(s.readTimeout) }
            return
        }
        cancel(t)
        t.wake()
    }

    static func timedOut(_ t: LuaThread) {
        t.tcpSocket.connection?.reader = nil
        t.outcome = .timedOut
        t.wake()
    }

    static func results(_ t: LuaThread, _ lua: Lua) -> Int32 {
        let s = t.tcpSocket
        if t.outcome == .timedOut { return s.pushRead(.failed, timedOut: true, lua) }
        var progress = false
        let st = s.readStatus(progress: &progress)  // ready or failed by now: buffered, nothing read
        return s.pushRead(st == .wait ? .failed : st, timedOut: false, lua)
    }

    static func cancel(_ t: LuaThread) {
        guard let c = t.tcpSocket.connection else { return }
        c.reader = nil
        c.disarmRead()  // lazily: the next wait or the pool re-arms it (`close()` cancels it for real)
    }
}

/// A connect queued in a capped pool (OpenResty's `backlog`): woken when one of the pool's connections
/// closes or comes back idle, it takes the idle one or opens a new one; the connect timeout bounds the wait.
enum ConnectQueueWait: Suspension {
    /// Queues `s` (at the front when it was woken but found the room taken again).
    static func start(_ t: LuaThread, _ s: TCPSocket, _ pool: SocketPool, front: Bool) -> Int32 {
        if front { pool.waiters.insert(s, at: 0) } else { pool.waiters.append(s) }
        s.queuePool = pool
        s.queuedThread = t
        t.waitSocket = s
        t.runtime.loop.arm(t, afterMs: max(s.queueDeadline - t.runtime.loop.now, 0))
        return t.suspend(on: ConnectQueueWait.self)
    }

    static func ready(_ t: LuaThread) {
        t.tcpSocket.queuePool = nil  // the pool took it off its queue
        t.tcpSocket.queuedThread = nil
        t.runtime.loop.cancel(t)
        t.wake()
    }

    static func timedOut(_ t: LuaThread) {
        dequeue(t.tcpSocket)
        t.outcome = .timedOut
        t.wake()
    }

    /// Takes the idle connection or the room that woke it, or queues again (at the front) if another
    /// connect took it first.
    static func results(_ t: LuaThread, _ lua: Lua) -> Int32 {
        let s = t.tcpSocket
        guard t.outcome != .timedOut, let target = s.queuedTarget else {
            s.queuedTarget = nil
            s.logError(NgxStrings.logQueuedConnectTimedOut(s.peer))
            return ConnectWait.pushError(lua, NgxStrings.timeout)
        }
        if s.reuse() {
            s.queuedTarget = nil
            lua.push(1)
            return 1
        }
        guard let pool = SocketPool.pool(s.poolKey) else { return ConnectWait.pushError(lua, NgxStrings.closed) }
        if pool.total >= pool.size { return start(t, s, pool, front: true) }
        s.queuedTarget = nil
        pool.total += 1
        s.slotPool = pool
        return NgxAPI.startConnect(t, s, target, lua)
    }

    static func cancel(_ t: LuaThread) {
        dequeue(t.tcpSocket)
        t.runtime.loop.cancel(t)
    }

    static func dequeue(_ s: TCPSocket) {
        if let p = s.queuePool, let i = p.waiters.firstIndex(where: { $0 === s }) { p.waiters.remove(at: i) }
        s.queuePool = nil
        s.queuedThread = nil
    }
}
