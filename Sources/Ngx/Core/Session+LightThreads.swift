/// The light threads of a session (`ngx.thread.spawn`): the session keeps every one it spawned until it
/// ends, so that a thread that returned (a zombie) keeps its results for its parent's `ngx.thread.wait`.
/// The session ends only when its entry thread and all its light threads have ended.
extension Session {
    var hasLiveLightThreads: Bool { (extras?.liveLightThreads ?? 0) > 0 }

    /// Registers a thread just spawned.
    func addLightThread(_ t: LuaThread) {
        let e = madeExtras
        if let co = t.coroutine { e.lightThreads[co] = t }
        e.liveLightThreads += 1
    }

    /// The light thread running coroutine `co`, if `co` is one of this session's.
    func lightThread(running co: OpaquePointer) -> LuaThread? {
        extras?.lightThreads[co]
    }

    /// A light thread ended: a parent waiting for it is woken (on the next iteration); one that was killed is
    /// forgotten at once.
    func lightThreadEnded(_ t: LuaThread) {
        guard let e = extras else { return }
        e.liveLightThreads -= 1
        orphan(children: t)
        if t.finish == .none {
            forget(t)
        } else if let p = t.parent, t.awaitedIn == p.waitGeneration, p.parkedOn == ThreadWait.self {
            p.child = t
            p.wakeSoon()
        }
    }

    /// `t` ended: the threads it spawned have no parent to wait for or kill them any more.
    func orphan(children t: LuaThread) {
        guard t.hasSpawned, let e = extras else { return }
        for c in e.lightThreads.values where c.parent === t { c.parent = nil }
    }

    /// Kills every light thread still running (ngx.exit, an entry thread that failed, a session aborted).
    func killLightThreads() {
        guard let e = extras, e.liveLightThreads > 0 else { return }
        for t in Array(e.lightThreads.values) where !t.ended { t.end() }
    }

    /// The session is over: zombies' results are dropped.
    func releaseLightThreads() {
        guard let e = extras, !e.lightThreads.isEmpty else { return }
        for t in e.lightThreads.values { t.release() }
        e.lightThreads = [:]
    }

    /// Forgets a zombie whose results its parent took.
    func reap(_ t: LuaThread) {
        forget(t)
        t.release()
    }

    /// Removes `t` from the session's threads (before its coroutine, the key, is released).
    private func forget(_ t: LuaThread) {
        if let co = t.coroutine { extras?.lightThreads[co] = nil }
    }
}
