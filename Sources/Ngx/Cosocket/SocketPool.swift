/// The worker's keepalive pools of idle upstream connections, by key (`host:port`, a unix path, or a pool
/// name), as OpenResty's: `setkeepalive` puts a clean connection at the front of its pool, making the pool
/// with the given size (`lua_socket_pool_size` by default) if it has none, and closing the least recently
/// used idle one when the pool is full; `connect` takes the most recent one back. A pooled connection the
/// peer closes or sends bytes on, or whose idle timeout passes, is closed and leaves the pool.
final class SocketPool {
    let key: String
    let size: Int
    /// Idle connections, least recently used first.
    var idle: [PooledConnection] = []

    init(key: String, size: Int) {
        self.key = key
        self.size = size
    }

    /// Every pool of the worker (one thread, one process).
    nonisolated(unsafe) static var pools: [String: SocketPool] = [:]

    /// Takes the most recently pooled connection for `key`.
    static func take(_ key: String) -> PooledConnection? {
        guard let pool = pools[key], let item = pool.idle.popLast() else { return nil }
        item.pool = nil
        return item
    }

    /// Pools `c` under `key`: the pool is made with `size` when it does not exist yet.
    static func put(_ c: Connection, key: String, size: Int, reused: Int, idleMs: Int64) {
        let pool = pools[key] ?? SocketPool(key: key, size: size)
        pools[key] = pool
        if pool.idle.count >= pool.size, !pool.idle.isEmpty {
            let oldest = pool.idle.removeFirst()
            oldest.pool = nil
            oldest.connection.close()
        }
        let item = PooledConnection(c, reused: reused + 1)
        item.pool = pool
        pool.idle.append(item)
        c.owner = item
        c.state = .pooled
        c.reader = nil
        c.writer = nil
        if idleMs > 0 { c.armRead(idleMs) } else { c.cancelRead() }
    }

    /// How many connections are idle in `key`'s pool (tests, and the benchmark's report).
    static func idleCount(_ key: String) -> Int { pools[key]?.idle.count ?? 0 }
}

/// An idle connection in a pool: its owner while it waits there.
final class PooledConnection: ConnectionOwner {
    let connection: Connection
    /// The reuse count the next user sees in `getreusedtimes()`.
    let reused: Int
    var pool: SocketPool?

    init(_ c: Connection, reused: Int) {
        connection = c
        self.reused = reused
    }

    /// Closed while idle (the peer closed or sent bytes, the idle timeout passed): it leaves the pool.
    func connectionClosed(_ c: Connection) {
        guard let p = pool else { return }
        pool = nil
        if let i = p.idle.firstIndex(where: { $0 === self }) { p.idle.remove(at: i) }
    }
}
