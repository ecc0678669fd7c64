import LuaKit

/// A counting semaphore for the threads and timers of one worker (`ngx.semaphore`): `post` adds resources,
/// `wait` takes one or queues the thread (first come, first served). A queued thread is handed its resource
/// by `post` and resumed on the next iteration (as OpenResty posts the event), or ends its wait with a
/// timeout.
final class Semaphore {
    /// Resources not yet taken.
    private(set) var resources: Int
    /// The threads waiting, in arrival order.
    private var waiters: [LuaThread] = []

    init(_ n: Int) { resources = n }

    /// What `sema:count()` returns: resources minus waiters (negative while threads wait), as OpenResty.
    var count: Int { resources - waiters.count }

    func post(_ n: Int) {
        resources += n
        while resources > 0, !waiters.isEmpty {
            let t = waiters.removeFirst()
            resources -= 1
            t.waitSemaphore = nil
            t.outcome = .ready
            t.wakeSoon()
        }
    }

    /// Takes a resource now, or returns false.
    func take() -> Bool {
        guard resources > 0, waiters.isEmpty else { return false }
        resources -= 1
        return true
    }

    func enqueue(_ t: LuaThread) {
        waiters.append(t)
        t.waitSemaphore = self
    }

    func remove(_ t: LuaThread) {
        waiters.removeAll { $0 === t }
        t.waitSemaphore = nil
    }
}

/// A thread in `sema:wait(timeout)`: its own timer bounds the wait.
enum SemaphoreWait: Suspension {
    static func ready(_ t: LuaThread) {}
    static func timedOut(_ t: LuaThread) {
        t.waitSemaphore?.remove(t)
        t.outcome = .timedOut
        t.wake()
    }
    static func results(_ t: LuaThread, _ lua: Lua) -> Int32 {
        if t.outcome == .ready {
            lua.push(true)
            return 1
        }
        lua.push(false)
        lua.push(NgxStrings.timeout)
        return 2
    }
    static func cancel(_ t: LuaThread) {
        t.waitSemaphore?.remove(t)
        t.loopRef._withUnsafeGuaranteedRef { $0.cancel(t) }
    }
}
