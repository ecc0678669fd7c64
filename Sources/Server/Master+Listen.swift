import CShim
import Config
import EventLoop
import Glibc
import Ngx

/// The listening sockets across reloads and binary upgrades: a socket stays open in the master as long as
/// some `listen` names its address, so new workers accept on the very socket old ones stopped accepting on,
/// and no connection waiting in its queue is refused or reset.
extension Master {
    /// The environment variable that carries the listening sockets to the new binary (nginx's `NGINX`):
    /// their descriptors, each followed by `;`.
    static let inheritedSocketsVariable = "TCPLUA"

    /// Binds every `listen` of the current servers; a socket in `open` with the same address is reused
    /// (this master's own on a reload, or the old master's on a binary upgrade). On failure, closes what it
    /// bound itself and throws nginx's message.
    func bindListeners(reusing open: [String: Int32]) throws -> [Listener] {
        var made: [Listener] = []
        var fresh: [Int32] = []
        var used: Set<String> = []
        do {
            for s in servers {
                for (i, a) in s.config.listens.enumerated() {
                    let l: Listener
                    if let fd = open[a.text], !used.contains(a.text) {
                        l = Listener(fd: fd, address: a)
                    } else {
                        l = try Listener.bind(a)
                        fresh.append(l.fd)
                    }
                    used.insert(a.text)
                    l.server = s
                    l.listenIndex = i
                    made.append(l)
                }
            }
        } catch {
            for fd in fresh { close(fd) }
            throw error
        }
        return made
    }

    /// The sockets of `listeners` by address.
    static func sockets(of listeners: [Listener]) -> [String: Int32] {
        Dictionary(listeners.map { ($0.address.text, $0.fd) }, uniquingKeysWith: { a, _ in a })
    }

    /// Closes the sockets of `open` that no listener of `keeping` uses (a `listen` a reload removed, an
    /// inherited socket the new configuration does not name), logging each.
    func closeUnused(_ open: [String: Int32], keeping: [Listener]) {
        let kept = Set(keeping.map(\.fd))
        for (text, fd) in open.sorted(by: { $0.key < $1.key }) where !kept.contains(fd) {
            log.log(.notice, "closing listening socket on \(text): no longer in the configuration")
            close(fd)
        }
    }

    /// Reads the sockets a binary upgrade passed in `TCPLUA` (nginx: "using inherited sockets from …"), keyed
    /// by the address each is bound to, and removes the variable so this master's own children do not see it.
    func inheritSockets() {
        guard let value = getenv(Master.inheritedSocketsVariable).map({ String(cString: $0) }) else { return }
        unsetenv(Master.inheritedSocketsVariable)
        log.log(.notice, "using inherited sockets from \"\(value)\"")
        for part in value.split(separator: ";") {
            guard let fd = Int32(part), fd > 2 else {
                log.log(.emerg, "invalid socket number \"\(part)\" in \(Master.inheritedSocketsVariable) environment variable, ignoring the rest")
                return
            }
            var addr: UInt32 = 0
            var port: UInt16 = 0
            guard tl_local_ipv4(fd, &addr, &port) == 0 else {
                log.log(.alert, "inherited socket #\(fd) is not an IPv4 listening socket, ignored")
                continue
            }
            _ = tl_set_cloexec(fd, 1)
            inherited["\(Sys.ipString(addr)):\(port)"] = fd
        }
    }
}
