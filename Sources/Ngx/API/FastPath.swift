import CShim
import EventLoop
import LuaKit

/// The hot path's FFI entry points (OpenResty's lua-resty-core road): plain C functions the Lua layer in
/// `Prelude.swift` calls through `ffi.cast` function pointers, so a handler's loop is compiled into LuaJIT
/// traces. None of them touches a Lua state, raises or yields: each returns a status, and the Lua layer
/// takes the classic path (which raises the same argument errors and parks the thread) when they decline.
enum FastPath {
    /// `receive(total, at_least, out)` when the bytes are already there: their count (their address at
    /// `out`, a pointer the Lua layer allocated once: no Swift global to reach), to be consumed by `consume`
    /// once copied; -1 to take the classic path (a wait, a failure, a bad argument, no running thread, or the
    /// thread's budget spent). The Lua layer passes only counts in [1, 2^31) with at_least <= total (LuaJIT
    /// truncates them to int32 as `Int(Double)` would); larger ones take the classic path. Counts are 32-bit:
    /// LuaJIT returns 64-bit integers boxed.
    static let receive: @convention(c) (Int32, Int32, UnsafeMutablePointer<UnsafeRawPointer?>) -> Int32 = {
        total,
        atLeast,
        out in
        guard let current = NgxRuntime.current, atLeast >= 1, atLeast <= total else { return -1 }
        return current._withUnsafeGuaranteedRef { t in
            if tl_spend_receive_budget() != 0 { return -1 }
            return t.withConnection { c in receive(c, total: Int(total), atLeast: Int(atLeast), out) }
        }
    }

    @inline(__always) static func receive(
        _ c: Connection,
        total: Int,
        atLeast: Int,
        _ out: UnsafeMutablePointer<UnsafeRawPointer?>
    ) -> Int32 {
        if c.sendLimit == 0 { return -1 }  // log_by_lua*
        var progress = false
        guard c.fill(want: atLeast, progress: &progress) == .ready else { return -1 }
        let n = min(total, c.input.readable)
        guard n <= Int(Int32.max) else { return -1 }
        out.pointee = UnsafeRawPointer(c.input.readPointer)
        // Consumed now: the bytes stay where they are until the Lua layer's `ffi.string` copies them, right
        // after this returns (nothing runs in between). The buffer, empty or not, is kept until the thread
        // parks or the connection closes (`LuaThread.resume`, the waits): never released under the copy.
        c.input.consume(n)
        return Int32(n)
    }

    /// Room for `len` more bytes of output (`print`/`say` of strings and numbers, when the Lua layer cannot
    /// append them to the published output buffer itself: no buffer to take, or no room in it): the address
    /// to copy them to, or nil to take the classic path (no running thread, the connection closed, or the
    /// output would reach the limit at which `print` waits).
    static let output: @convention(c) (Int) -> UnsafeMutableRawPointer? = fastOutput

    @inline(__always) static func output(_ c: Connection, _ len: Int) -> UnsafeMutableRawPointer? {
        if !c.outputIsOpen || c.output.readable + len >= c.sendLimit { return nil }
        c.ensureOutputBuffer()
        guard c.output.reserve(len) else { return nil }
        let p = c.output.writePointer
        c.output.writeIndex += len
        return p
    }

    /// `wait_next_request()` when the Lua layer cannot park it by itself (bytes are buffered, or no client
    /// input is published), up to the point where it may have to wait (`NextRequestWait.begin`): 0 when the
    /// next request's bytes are there; 2 when the session ends here and 3 for a park the classic path makes
    /// (the budget spent with the next bytes there, a timer or `log_by_lua*`, whose classic call raises); -1
    /// with no running thread.
    static let nextRequest: @convention(c) () -> Int32 = fastNextRequest

    /// `ngx.now()`: the loop's cached wall clock in seconds.
    static let now: @convention(c) () -> Double = { Double(NgxRuntime.shared.loop.clock.wallMs) / 1000 }

    /// `ngx.update_time()`.
    static let updateTime: @convention(c) () -> Void = { NgxRuntime.shared.loop.clock.update() }

    /// The entry points as light userdata, in the order the prelude takes them.
    static func push(_ lua: Lua) {
        let pointers: [UnsafeMutableRawPointer] = [
            unsafeBitCast(receive, to: UnsafeMutableRawPointer.self),
            unsafeBitCast(output, to: UnsafeMutableRawPointer.self),
            unsafeBitCast(nextRequest, to: UnsafeMutableRawPointer.self),
            unsafeBitCast(now, to: UnsafeMutableRawPointer.self),
            unsafeBitCast(updateTime, to: UnsafeMutableRawPointer.self),
            unsafeBitCast(dictGet, to: UnsafeMutableRawPointer.self),
            unsafeBitCast(dictSet, to: UnsafeMutableRawPointer.self),
            unsafeBitCast(dictIncr, to: UnsafeMutableRawPointer.self),
            unsafeBitCast(dictTTL, to: UnsafeMutableRawPointer.self),
            unsafeBitCast(reCompile, to: UnsafeMutableRawPointer.self),
            unsafeBitCast(reExec, to: UnsafeMutableRawPointer.self),
            UnsafeMutableRawPointer(reOffsets),
            tl_current_input_address(),
            tl_receive_budget_address(),
            tl_current_output_address(),
            tl_output_limit_address(),
        ]
        pushPointers(lua, pointers)
    }

    /// Pushes a table of `pointers` as light userdata, 1-based, for a Lua layer to `ffi.cast`.
    static func pushPointers(_ lua: Lua, _ pointers: [UnsafeMutableRawPointer]) {
        lua.newTable()
        for (i, p) in pointers.enumerated() {
            lua.pushLightUserdata(p)
            lua.rawSetI(-2, Int32(i + 1))
        }
    }
}

// The FFI entry points' bodies as plain functions (a closure stored in a `static let` is called through a
// C thunk, and its nested closures stay separate functions).

private func fastOutput(_ len: Int) -> UnsafeMutableRawPointer? {
    guard let current = NgxRuntime.current else { return nil }
    return current._withUnsafeGuaranteedRef { t in t.withConnection { c in FastPath.output(c, len) } }
}

private func fastNextRequest() -> Int32 {
    guard let current = NgxRuntime.current else { return -1 }
    return current._withUnsafeGuaranteedRef { t in
        t.withSession { s in
            // A timer's or the log phase's wait: the classic call refuses it, before anything ends.
            if s.restricted { return 3 }
            return s.connectionRef._withUnsafeGuaranteedRef { c in
                let next = NextRequestWait.begin(t, s, c)
                return next == .park ? 3 : next.rawValue
            }
        }
    }
}
