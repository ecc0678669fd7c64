/// The worker's keepalive pools of idle upstream connections, by key (`host:port`, a unix path, or a pool
/// name), as OpenResty's: `setkeepalive` puts a clean connection at the front of its pool, making the pool
/// with the given size (`lua_socket_pool_size` by default) if it has none, and closing the least recently
/// used idle one when the pool is full; `connect` takes the most recent one back. A pooled connection the
/// peer closes or sends bytes on, or whose idle timeout passes, is closed and leaves the pool. The pool is
/// the owner of its idle connections (no object per pooled connection).
final class SocketPool: ConnectionOwner {
    let key: String
    let size: Int
    /// Idle connections, least recently used first, with the reuse count their next user sees.
    private(set) var idle: [(connection: Connection, reused: Int)] = []

    init(key: String, size: Int) {
        self.key = key
        self.size = size
    }

    /// Every pool of the worker (one thread, one process); pools live as long as the worker.
    nonisolated(unsafe) static var pools: [String: SocketPool] = [:]

    /// Takes the most recently pooled connection for `key`.
    static func take(_ key: String) -> (Connection, Int)? {
        guard let pool = pools[key], let item = pool.idle.popLast() else { return nil }
        return item
    }

    /// Pools `c` under `key`: the pool is made with `size` when it does not exist yet.
    static func put(_ c: Connection, key: String, size: Int, reused: Int, idleMs: Int64) {
        let pool: SocketPool
        if let p = pools[key] {
            pool = p
        } else {
            pool = SocketPool(key: key, size: size)
            pools[key] = pool
        }
        if pool.idle.count >= pool.size, !pool.idle.isEmpty {
            pool.idle.removeFirst().connection.close()  // its owner is still this pool: already out of the list
        }
        pool.idle.append((c, reused + 1))
        c.owner = pool
        c.state = .pooled
        c.reader = nil
        c.writer = nil
        if idleMs > 0 { c.armRead(idleMs) } else { c.cancelRead() }
    }

    /// How many connections are idle in `key`'s pool.
    static func idleCount(_ key: String) -> Int { pools[key]?.idle.count ?? 0 }

    /// Closed while idle (the peer closed or sent bytes, the idle timeout passed): it leaves the pool.
    func connectionClosed(_ c: Connection) {
        if let i = idle.firstIndex(where: { $0.connection === c }) { idle.remove(at: i) }
    }
}
