import LuaKit

/// What a Lua thread is parked on: bytes on a connection's read side, room on its write side, a timer, the
/// next request. Each API area defines its own in its own file, with the same anatomy:
/// 1. the API function checks its arguments and that this coroutine may yield (`NgxAPI.withThread`);
/// 2. it tries to finish at once; if it cannot, it registers the thread where the event will find it
///    (a connection side, its timer) and returns `thread.suspend(on:)`, which its Lua wrapper yields;
/// 3. the event calls `ready` or `timedOut`, which decide and call `thread.wake()`;
/// 4. inside the resumed coroutine, the wrapper asks for `results`: no Lua value is ever pushed onto a
///    parked coroutine from the loop.
protocol Suspension {
    /// What the thread waits for may have happened (bytes, room, a close): wake it if so.
    static func ready(_ t: LuaThread)
    /// The wait's timer passed.
    static func timedOut(_ t: LuaThread)
    /// Inside the resumed coroutine: pushes the wait's results and returns their count (or `Lua.raise`).
    static func results(_ t: LuaThread, _ lua: Lua) -> Int32
    /// The thread is killed or ends mid-wait: disarm whatever was armed for it.
    static func cancel(_ t: LuaThread)
}

/// How a wait ended, for `results` (a closed connection is read off the connection itself).
enum WaitOutcome {
    case ready
    case timedOut
}

/// A thread that yielded with nothing to wait for (a bare `coroutine.yield()`, or an API that used up the
/// thread's budget): it runs again on the next loop iteration, after the events and timers already due.
enum PostedWait: Suspension {
    static func ready(_ t: LuaThread) { t.wake() }
    static func timedOut(_ t: LuaThread) { t.wake() }
    static func results(_ t: LuaThread, _ lua: Lua) -> Int32 { 0 }
    static func cancel(_ t: LuaThread) { t.loopRef._withUnsafeGuaranteedRef { $0.cancel(t) } }

    /// Parks `t` (from its running API function) until the next iteration.
    static func post(_ t: LuaThread) -> Int32 {
        t.loopRef._withUnsafeGuaranteedRef { $0.arm(t, afterMs: 0) }
        return t.suspend(on: PostedWait.self)
    }

    /// The same for a thread that has yielded already (its resume loop records it: nothing to push).
    static func postYielded(_ t: LuaThread) {
        t.park(on: PostedWait.self)
        t.loopRef._withUnsafeGuaranteedRef { $0.arm(t, afterMs: 0) }
    }
}
