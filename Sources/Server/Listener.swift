import CShim
import Config
import EventLoop
import Glibc
import Ngx

/// A bound listening socket of one server; in a worker it accepts and starts a session per connection.
final class Listener: EventHandler {
    let fd: Int32
    let address: ListenAddress
    /// Its position in the server's `listen` list (for logs and `$server_port`).
    var listenIndex = 0
    var server: ServerRuntime?
    var runtime: NgxRuntime?
    /// Closed for good (graceful stop).
    var isClosed = false
    var paused = false
    var shared = false

    init(fd: Int32, address: ListenAddress) {
        self.fd = fd
        self.address = address
        super.init()
    }

    /// With `listen … reuseport`: the worker slot that accepts on this socket is `slot % workers` (one
    /// socket per worker, each in the kernel's SO_REUSEPORT group); nil = every worker accepts on it.
    var slot: Int?

    /// Binds `address` (in the master, before any fork).
    static func bind(_ a: ListenAddress) throws -> Listener {
        let keepalive: Int32 = a.soKeepalive.map { $0 ? 1 : 0 } ?? -1
        let fd: Int32
        switch a.family {
        case .ipv4:
            guard let ip = Sys.parseIPv4(a.host) else { throw ServerError("invalid listen address \"\(a.text)\"") }
            fd = tl_listen_ipv4(
                ip,
                a.port,
                Int32(a.backlog),
                Int32(a.rcvbuf ?? 0),
                Int32(a.sndbuf ?? 0),
                a.reuseport ? 1 : 0,
                keepalive,
                Int32(a.keepaliveIdle ?? 0),
                Int32(a.keepaliveInterval ?? 0),
                Int32(a.keepaliveCount ?? 0),
                a.deferred ? 1 : 0
            )
        case .ipv6:
            var bytes = [UInt8](repeating: 0, count: 16)
            guard a.host.withCString({ inet_pton(AF_INET6, $0, &bytes) }) == 1 else {
                throw ServerError("invalid listen address \"\(a.text)\"")
            }
            fd = tl_listen_other(
                bytes,
                a.port,
                nil,
                Int32(a.backlog),
                Int32(a.rcvbuf ?? 0),
                Int32(a.sndbuf ?? 0),
                a.reuseport ? 1 : 0,
                keepalive,
                Int32(a.keepaliveIdle ?? 0),
                Int32(a.keepaliveInterval ?? 0),
                Int32(a.keepaliveCount ?? 0),
                a.deferred ? 1 : 0
            )
        case .unix:
            fd = tl_listen_other(
                nil,
                0,
                a.host,
                Int32(a.backlog),
                Int32(a.rcvbuf ?? 0),
                Int32(a.sndbuf ?? 0),
                0,
                -1,
                0,
                0,
                0,
                0
            )
        }
        guard fd >= 0 else {
            throw ServerError("bind() to \(a.text) failed (\(errno): \(Sys.strerror(errno)))")
        }
        return Listener(fd: fd, address: a)
    }

    /// The pause is over (the handler's built-in timer).
    override func fire() {
        guard paused, !isClosed, let runtime else { return }
        paused = false
        do {
            try watch(runtime, shared: shared)
        } catch {
            // Never stop accepting without a word: say why, and try again after the same pause.
            runtime.log.log(.alert, "cannot resume accepting on \(address.text): \(error); retrying in 500ms")
            paused = true
            runtime.loop.arm(self, afterMs: 500)
        }
    }

    /// Accepts what is pending (up to a batch, so one busy port cannot starve the rest of the loop).
    override func handleEvent(_ events: UInt32) {
        guard let server, let runtime else { return }
        if address.family != .ipv4 {
            acceptOther(server, runtime)
            return
        }
        for _ in 0..<64 {
            guard let r = Sys.accept(fd) else { return }
            switch r {
            case .success(let (c, addr, port)):
                if !Access.allowed(addr, server.config.accessRules) {
                    forbidden(c, Sys.ipString(addr), server)
                    continue
                }
                if server.config.tcpNodelay { _ = tl_set_nodelay(c) }
                if server.config.soKeepalive { Listener.setKeepalive(c) }
                runtime.startSession(fd: c, address: addr, port: port, server: server, listenIndex: listenIndex)
            case .failure(let e):
                runtime.log.log(.alert, e.description)
                // Out of descriptors or memory: stop accepting for half a second, as nginx does, instead of
                // spinning on a level-triggered socket that stays readable.
                if [EMFILE, ENFILE, ENOBUFS, ENOMEM].contains(e.errno) { pause(runtime) }
                return
            }
        }
    }
}

extension Listener {
    /// This worker accepts on the socket: every worker does, except on the per-slot sockets of `reuseport`.
    var acceptsHere: Bool {
        guard let slot else { return true }
        return slot % max(1, NgxRuntime.workerCount) == (NgxRuntime.workerId ?? 0)
    }

    /// Watches the socket in `runtime`'s loop (shared by several workers: EPOLLEXCLUSIVE).
    func watch(_ runtime: NgxRuntime, shared: Bool) throws {
        self.runtime = runtime
        try runtime.loop.register(fd, self, events: shared ? Events.read | Events.exclusive : Events.read)
        self.shared = shared
    }

    func pause(_ runtime: NgxRuntime) {
        guard !paused, !isClosed else { return }
        paused = true
        runtime.loop.deregister(fd)
        runtime.loop.arm(self, afterMs: 500)
    }

    /// Stops accepting for good: once only, whatever number of QUITs arrive.
    func closeForGood() {
        guard !isClosed else { return }
        isClosed = true
        if let runtime {
            runtime.loop.cancel(self)
            if !paused { runtime.loop.deregister(fd) }
        }
        close(fd)
    }
}

/// `allow`/`deny` rules: the first that matches decides; none matching allows.
enum Access {
    static func allowed(_ addr: UInt32, _ rules: [AccessRule]) -> Bool {
        for r in rules where r.matches(addr) { return r.allow }
        return true
    }

    /// For an IPv6 client (IPv4-mapped ones are checked as IPv4).
    static func allowed(ipv6 addr: IPv6Network.Bits, _ rules: [AccessRule]) -> Bool {
        for r in rules where r.matches(ipv6: addr) { return r.allow }
        return true
    }

    /// For a unix-socket client: only `all` rules apply.
    static func allowedUnix(_ rules: [AccessRule]) -> Bool {
        for r in rules where r.all { return r.allow }
        return true
    }
}

/// A startup failure, printed as nginx prints `[emerg]` lines.
struct ServerError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}
