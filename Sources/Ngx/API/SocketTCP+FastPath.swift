import EventLoop
import Glibc
import LuaKit

/// The TCP cosocket's FFI entry points (the `FastPath` road): `send` of a string, `receive(n)` /
/// `receive(total, at_least)` / `receive("*l")` of buffered bytes, `setkeepalive()` with no arguments, and
/// `connect` to a pool key with an idle connection. The socket table is `{ userdata, handle }`: the handle is
/// the socket's address as a number (a cdata or light userdata argument would abort the trace), valid while
/// the userdata at `[1]` holds its reference. Like `FastPath`, none touches a Lua state, raises or yields:
/// each returns -1 when the classic method must run instead (a wait, a failure, a socket of another thread,
/// anything unusual), having changed nothing, so the classic path returns and raises exactly as before.
extension FastPath {
    /// Runs `body` with the socket of handle `h` when the running thread owns it; -1 otherwise.
    @inline(__always) static func withSocket(_ h: Double, _ body: (TCPSocket) -> Int32) -> Int32 {
        guard let current = NgxRuntime.current, h >= 4096, h < 9.007_199_254_740_992e15,
            let raw = UnsafeMutableRawPointer(bitPattern: UInt(h))
        else { return -1 }
        return current._withUnsafeGuaranteedRef { t in
            let owned = Unmanaged<Cosocket>.fromOpaque(raw)._withUnsafeGuaranteedRef { c in
                c.isTCP && t.withSession { c.isOwned(by: $0) }
            }
            guard owned else { return -1 }
            return Unmanaged<TCPSocket>.fromOpaque(raw)._withUnsafeGuaranteedRef(body)
        }
    }

    /// `send(data)` of a string: the byte count once the kernel took every byte; -2 when the bytes are
    /// queued but the kernel did not take them all, or the send failed (the Lua layer then asks the classic
    /// `send_wait` for the wait or the error); -1 for the classic `send` (nothing sent).
    static let sockSend: @convention(c) (Double, UnsafeRawPointer?, Int32) -> Int32 = { h, p, len in
        withSocket(h) { s in
            s.withConnection(or: -1) { c in
                guard c.writerRef == nil, len >= 0 else { return -1 }
                c.ensureOutputBuffer()
                guard c.output.reserve(Int(len)) else {
                    c.releaseOutputIfEmpty()
                    return -1
                }
                if len > 0, let p { c.output.writePointer.copyMemory(from: p, byteCount: Int(len)) }
                c.output.writeIndex += Int(len)
                c.sendTimeoutMs = s.sendTimeout
                c.flush()
                if c.output.readable == 0, !c.outputClosed, !c.closed, !s.sendTimedOut { return len }
                return -2
            }
        }
    }

    /// `receive(total, at_least)` (mode 0) or `receive("*l")` (mode 1) when the bytes are there: their count
    /// (their address at `out`, the Lua layer's `const char *[1]`), to be consumed with `sockConsume` (a line's
    /// LF too); -1 for the classic `receive`.
    static let sockReceive:
        @convention(c) (Double, Int32, Double, Double, UnsafeMutablePointer<UnsafeRawPointer?>?) -> Int32 = {
            h,
            mode,
            totalD,
            atLeastD,
            out in
            guard let out else { return -1 }
            return withSocket(h) { s in
                s.withConnection(or: -1) { c in
                    guard c.readerRef == nil else { return -1 }
                    var progress = false
                    if mode == 0 {
                        guard totalD >= 1, totalD < 1e12, atLeastD >= 1,
                            atLeastD.rounded(.towardZero) <= totalD.rounded(.towardZero)
                        else { return -1 }
                        guard c.fill(want: Int(atLeastD), progress: &progress) == .ready else { return -1 }
                        let n = min(Int(totalD), c.input.readable)
                        guard n <= Int(Int32.max) else { return -1 }
                        out.pointee = UnsafeRawPointer(c.input.readPointer)
                        return Int32(n)
                    }
                    s.read = ReadRequest()
                    s.read.mode = .line
                    guard s.readStatus(c, progress: &progress) == .ready, s.read.found < Int(Int32.max) else {
                        return -1
                    }
                    let n = s.read.found
                    let p = c.input.readPointer
                    if n > 0, memchr(p, 13, n) != nil { return -1 }  // CRs to drop: the classic path copies
                    out.pointee = UnsafeRawPointer(p)
                    return Int32(n)
                }
            }
        }

    /// After `sockReceive` declined because the bytes are not there yet: parks the thread on the socket's read
    /// side for the same request (as the classic `receive` does) and returns 1, for the Lua layer to yield and
    /// fetch the results; -1 for the classic `receive` (it then finishes at once, or fails). Called by the C
    /// function `tl_yield_socket_park` only on the thread's own coroutine (the one `tcp()` recorded) where it
    /// can yield, the checks the classic path makes; that function yields once this parked the thread.
    static let sockReceivePark: @convention(c) (Double, Int32, Double, Double) -> Int32 = { h, mode, totalD, atLeastD in
        withSocket(h) { s in
            s.withConnection(or: -1) { c in
                guard let current = NgxRuntime.current, c.readerRef == nil else { return -1 }
                return current._withUnsafeGuaranteedRef { t in park(t, s, c, mode, totalD, atLeastD) }
            }
        }
    }

    /// `sockReceivePark` with the running thread, its socket and the socket's connection at hand.
    @inline(__always) private static func park(
        _ t: LuaThread,
        _ s: TCPSocket,
        _ c: Connection,
        _ mode: Int32,
        _ totalD: Double,
        _ atLeastD: Double
    ) -> Int32 {
        guard t.parkedOn == nil else { return -1 }
        var req = ReadRequest()
        if mode == 0 {
            guard totalD >= 1, totalD < 1e12, atLeastD >= 1,
                atLeastD.rounded(.towardZero) <= totalD.rounded(.towardZero)
            else { return -1 }
            req.total = Int(totalD)
            req.atLeast = Int(atLeastD)
        } else {
            req.mode = .line
        }
        s.read = req
        var progress = false
        guard s.readStatus(c, progress: &progress) == .wait else { return -1 }
        c.releaseInputIfEmpty()
        t.waitSocket = s
        c.reader = t
        c.armRead(s.readTimeout)
        t.park(on: SocketReadWait.self)
        return 1
    }

    /// Consumes `n` bytes `sockReceive` returned (and a line's LF).
    static let sockConsume: @convention(c) (Double, Int32) -> Void = { h, n in
        _ = withSocket(h) { s in
            s.withConnection(or: 0) { c in
                c.input.consume(Int(n))
                c.releaseInputIfEmpty()
                return 0
            }
        }
    }

    /// `setkeepalive()` with no arguments on a clean idle connection: 1 once pooled; -1 for the classic
    /// method (closed, busy, unread bytes, an edge not looked at yet).
    static let sockKeepalive: @convention(c) (Double) -> Int32 = { h in
        withSocket(h) { s in
            let clean = s.withConnection(or: false) { c in
                c.readerRef == nil && c.writerRef == nil && c.input.readable == 0 && !c.readable && !c.peerClosed
            }
            guard clean else { return -1 }
            // field by field: a copy of the config struct would retain each of its arrays and strings
            let server = s.server
            s.release(
                toPool: Int64(server.config.socketKeepaliveTimeout),
                size: s.poolSize ?? server.config.socketPoolSize
            )
            return 1
        }
    }

    /// `connect(host, port)` when the pool of `host:port` has an idle connection: 1 once it is taken;
    /// -1 for the classic `connect` (nothing changed).
    static let sockConnect: @convention(c) (Double, UnsafeRawPointer?, Int32, Double) -> Int32 = { h, p, len, port in
        withSocket(h) { s in
            guard let p, len > 0, port >= 0, port <= 65535, port == port.rounded() else { return -1 }
            let bytes = UnsafeRawBufferPointer(start: p, count: Int(len))
            if len >= 5 && memcmp(p, "unix:", 5) == 0 { return -1 }  // (a generic starts(with:) costs ~90 instructions)
            let key = HostCache.peer(HostCache.host(bytes), UInt16(port))
            guard SocketPool.idleCount(key) > 0 else { return -1 }
            s.close()
            s.poolSize = nil
            s.peer = key
            s.poolKey = key
            return s.reuse() ? 1 : -1
        }
    }

    /// The socket entry points as light userdata, in the order `tcpWrappers` takes them.
    static func pushSocket(_ lua: Lua) {
        let pointers: [UnsafeMutableRawPointer] = [
            unsafeBitCast(sockSend, to: UnsafeMutableRawPointer.self),
            unsafeBitCast(sockReceive, to: UnsafeMutableRawPointer.self),
            unsafeBitCast(sockConsume, to: UnsafeMutableRawPointer.self),
            unsafeBitCast(sockKeepalive, to: UnsafeMutableRawPointer.self),
            unsafeBitCast(sockConnect, to: UnsafeMutableRawPointer.self),
        ]
        pushPointers(lua, pointers)
    }
}

extension NgxAPI {
    /// `send_wait(self, n)`: after the FFI `send` queued `n` bytes the kernel did not all take, or saw the
    /// send fail: waits for them (as the classic `send` does) or returns the classic results.
    static let tcpSendWait: LuaFunction = { L in
        let lua = Lua(L!)
        let n = Int(lua.toNumber(2) ?? 0)
        return withTCP(lua, "send", yielding: true) { t, s in
            guard let c = s.connection, c.output.readable > 0, !c.outputClosed, !c.closed, !s.sendTimedOut else {
                return SendWait.pushSent(s, n, lua)
            }
            t.waitA = n
            t.waitSocket = s
            c.writer = t
            return t.suspend(on: SendWait.self)
        }
    }
}
