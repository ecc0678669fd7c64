/// The worker's keepalive pools of idle upstream connections, by key (`host:port`, a unix path, or a pool
/// name), as OpenResty's: `setkeepalive` puts a clean connection at the front of its pool, making the pool
/// with the given size (`lua_socket_pool_size` by default) if it has none, and closing the least recently
/// used idle one when the pool is full; `connect` takes the most recent one back. A pooled connection the
/// peer closes or sends bytes on, or whose idle timeout passes, is closed and leaves the pool. The pool is
/// the owner of its idle connections (no object per pooled connection).
///
/// A pool made by a `connect` with `backlog` (OpenResty's backlog queue) also caps its connections, those
/// held by sockets and the idle ones, at `size`: a connect beyond it waits in `waiters` (at most `backlog`
/// of them), woken when one of the pool's connections closes or comes back idle.
final class SocketPool: ConnectionOwner {
    let key: String
    let size: Int
    /// Idle connections, least recently used first, with the reuse count their next user sees.
    private(set) var idle: [(connection: Connection, reused: Int)] = []
    /// The queue's length limit; nil for a pool without a cap.
    var backlog: Int?
    /// With a cap: the pool's connections (held by sockets, connecting, idle).
    var total = 0
    /// With a cap: the sockets whose connect waits for room, first come first served.
    var waiters: [TCPSocket] = []

    init(key: String, size: Int) {
        self.key = key
        self.size = size
    }

    /// Every pool of the worker (one thread, one process); pools live as long as the worker.
    nonisolated(unsafe) static var pools: [String: SocketPool] = [:]
    /// The pool last looked up: a handler that uses one upstream hashes no key (the key is usually the very
    /// string `HostCache` keeps, so comparing it is a pointer comparison).
    nonisolated(unsafe) static var lastPool: SocketPool?

    /// The pool of `key`, if there is one.
    @inline(__always) static func pool(_ key: String) -> SocketPool? {
        if let p = lastPool, p.key == key { return p }
        guard let p = pools[key] else { return nil }
        lastPool = p
        return p
    }

    /// Takes the most recently pooled connection for `key`, with its pool.
    static func take(_ key: String) -> (Connection, Int, SocketPool)? {
        guard let pool = pool(key), let item = pool.idle.popLast() else { return nil }
        return (item.connection, item.reused, pool)
    }

    /// The pool of `key` with a cap (a connect with `backlog`): made with `size` when it does not exist yet;
    /// an existing pool without one gets it (its idle connections then count).
    static func capped(_ key: String, size: Int, backlog: Int) -> SocketPool {
        let pool = made(key, size: size)
        if pool.backlog == nil {
            pool.backlog = backlog
            pool.total = pool.idle.count
        }
        return pool
    }

    /// The pool of `key`, made with `size` when it does not exist yet.
    private static func made(_ key: String, size: Int) -> SocketPool {
        if let p = SocketPool.pool(key) { return p }
        let p = SocketPool(key: key, size: size)
        pools[key] = p
        return p
    }

    /// A connection of a capped pool is gone: a waiting connect may now have room.
    func slotFreed() {
        total -= 1
        wakeWaiter()
    }

    /// Wakes the first waiting connect when there is an idle connection or room for a new one.
    func wakeWaiter() {
        guard !waiters.isEmpty, !idle.isEmpty || total < size else { return }
        let s = waiters.removeFirst()
        s.queuedThread?.suspensionReady()
    }

    /// Pools `c` under `key`: the pool is made with `size` when it does not exist yet. `counted`: the
    /// connection already counts in the pool's cap.
    static func put(_ c: Connection, key: String, size: Int, reused: Int, idleMs: Int64, counted: Bool = false) {
        let pool = made(key, size: size)
        if pool.idle.count >= pool.size, !pool.idle.isEmpty {
            pool.idle.removeFirst().connection.close()  // its owner is still this pool: already out of the list
        }
        if pool.backlog != nil, !counted { pool.total += 1 }
        pool.idle.append((c, reused + 1))
        c.owner = pool
        c.state = .pooled
        c.reader = nil
        c.writer = nil
        if idleMs > 0 { c.armRead(idleMs) } else { c.cancelRead() }
        if !pool.waiters.isEmpty { pool.wakeWaiter() }
    }

    /// How many connections are idle in `key`'s pool.
    static func idleCount(_ key: String) -> Int { pool(key)?.idle.count ?? 0 }

    /// Closed while idle (the peer closed or sent bytes, the idle timeout passed): it leaves the pool.
    func connectionClosed(_ c: Connection) {
        if let i = idle.firstIndex(where: { $0.connection === c }) { idle.remove(at: i) }
        if backlog != nil { slotFreed() }
    }
}
