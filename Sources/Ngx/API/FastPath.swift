import EventLoop
import LuaKit

/// The hot path's FFI entry points (OpenResty's lua-resty-core road): plain C functions the Lua layer in
/// `Prelude.swift` calls through `ffi.cast` function pointers, so a handler's loop is compiled into LuaJIT
/// traces. None of them touches a Lua state, raises or yields: each returns a status, and the Lua layer
/// takes the classic path (which raises the same argument errors and parks the thread) when they decline.
enum FastPath {
    /// Where `receive` leaves the address of the bytes it found (read by the Lua layer with `ffi.string`).
    nonisolated(unsafe) static let received: UnsafeMutablePointer<UnsafeRawPointer?> = {
        let p = UnsafeMutablePointer<UnsafeRawPointer?>.allocate(capacity: 1)
        p.initialize(to: nil)
        return p
    }()

    /// `receive(total, at_least)` when the bytes are already there: their count (at `received`), to be
    /// consumed by `consume` once copied; -1 to take the classic path (a wait, a failure, a bad argument, no
    /// running thread, or the thread's budget spent). Counts are 32-bit: LuaJIT returns 64-bit integers
    /// boxed, and a receive of more than 2 GiB at once takes the classic path.
    static let receive: @convention(c) (Double, Double) -> Int32 = { totalD, atLeastD in
        guard let current = NgxRuntime.current, totalD >= 1, totalD < 1e12 else { return -1 }
        guard atLeastD >= 1, atLeastD <= totalD else { return -1 }
        let total = Int(totalD)
        let atLeast = Int(atLeastD)
        return current._withUnsafeGuaranteedRef { t in
            t.receiveBudget += 1
            if t.receiveBudget >= LuaThread.receiveBudgetLimit { return -1 }
            return t.withConnection { c in receive(c, total: total, atLeast: atLeast) }
        }
    }

    @inline(__always) static func receive(_ c: Connection, total: Int, atLeast: Int) -> Int32 {
        if c.sendLimit == 0 { return -1 }  // log_by_lua*
        var progress = false
        guard c.fill(want: atLeast, progress: &progress) == .ready else { return -1 }
        let n = min(total, c.input.readable)
        guard n <= Int(Int32.max) else { return -1 }
        received.pointee = UnsafeRawPointer(c.input.readPointer)
        return Int32(n)
    }

    /// Consumes `n` bytes that `receive` returned.
    static let consume: @convention(c) (Int32) -> Void = { n in
        guard let current = NgxRuntime.current else { return }
        current._withUnsafeGuaranteedRef { t in
            t.withConnection { c in
                c.input.consume(Int(n))
                c.releaseInputIfEmpty()
            }
        }
    }

    /// Room for `len` more bytes of output (`print`/`say` of strings and numbers): the address to copy them
    /// to, or nil to take the classic path (no running thread, the connection closed, or the output would
    /// reach the limit at which `print` waits).
    static let output: @convention(c) (Int) -> UnsafeMutableRawPointer? = { len in
        guard let current = NgxRuntime.current else { return nil }
        return current._withUnsafeGuaranteedRef { t in t.withConnection { c in output(c, len) } }
    }

    @inline(__always) static func output(_ c: Connection, _ len: Int) -> UnsafeMutableRawPointer? {
        if c.outputClosed || c.closed || c.eofSent || c.output.readable + len >= c.sendLimit { return nil }
        if !c.output.isAllocated { c.output = c.pool.pointee.take() }
        guard c.output.reserve(len) else { return nil }
        let p = c.output.writePointer
        c.output.writeIndex += len
        return p
    }

    /// `wait_next_request()` up to the point where it may have to wait: the `NextRequestWait.Next` code, or
    /// -1 with no running thread.
    static let nextRequest: @convention(c) () -> Int32 = {
        guard let current = NgxRuntime.current else { return -1 }
        return current._withUnsafeGuaranteedRef { t in NextRequestWait.begin(t).rawValue }
    }

    /// `ngx.now()`: the loop's cached wall clock in seconds.
    static let now: @convention(c) () -> Double = { Double(NgxRuntime.shared.loop.clock.wallMs) / 1000 }

    /// `ngx.update_time()`.
    static let updateTime: @convention(c) () -> Void = { NgxRuntime.shared.loop.clock.update() }

    /// The entry points as light userdata, in the order the prelude takes them.
    static func push(_ lua: Lua) {
        let pointers: [UnsafeMutableRawPointer] = [
            unsafeBitCast(receive, to: UnsafeMutableRawPointer.self),
            unsafeBitCast(consume, to: UnsafeMutableRawPointer.self),
            unsafeBitCast(output, to: UnsafeMutableRawPointer.self),
            unsafeBitCast(nextRequest, to: UnsafeMutableRawPointer.self),
            unsafeBitCast(now, to: UnsafeMutableRawPointer.self),
            unsafeBitCast(updateTime, to: UnsafeMutableRawPointer.self),
            UnsafeMutableRawPointer(received),
            unsafeBitCast(dictGet, to: UnsafeMutableRawPointer.self),
            unsafeBitCast(dictSet, to: UnsafeMutableRawPointer.self),
            unsafeBitCast(dictIncr, to: UnsafeMutableRawPointer.self),
            unsafeBitCast(dictTTL, to: UnsafeMutableRawPointer.self),
            unsafeBitCast(reCompile, to: UnsafeMutableRawPointer.self),
            unsafeBitCast(reExec, to: UnsafeMutableRawPointer.self),
            UnsafeMutableRawPointer(reOffsets),
        ]
        lua.newTable()
        for (i, p) in pointers.enumerated() {
            lua.pushLightUserdata(p)
            lua.rawSetI(-2, Int32(i + 1))
        }
    }
}
