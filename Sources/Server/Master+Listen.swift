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
    /// (this master's own on a reload, or the old master's on a binary upgrade). `reuseport` gets one socket per
    /// worker slot, and never fewer than it had (closing one would reset the connections in its queue). On
    /// failure, closes what it bound itself and throws nginx's message.
    func bindListeners(reusing open: [String: [Int32]]) throws -> [Listener] {
        var made: [Listener] = []
        var fresh: [Int32] = []
        var used: Set<String> = []
        do {
            for s in servers {
                for (i, a) in s.config.listens.enumerated() {
                    let existing = used.contains(a.text) ? [] : open[a.text] ?? []
                    let perSlot = a.reuseport && config.masterProcess
                    let count = perSlot ? max(workerCount, existing.count) : 1
                    for k in 0..<count {
                        let l: Listener
                        if k < existing.count {
                            l = Listener(fd: existing[k], address: a)
                        } else {
                            l = try Listener.bind(a)
                            fresh.append(l.fd)
                        }
                        l.server = s
                        l.listenIndex = i
                        l.slot = perSlot ? k : nil
                        made.append(l)
                    }
                    used.insert(a.text)
                }
            }
        } catch {
            for fd in fresh { close(fd) }
            throw error
        }
        return made
    }

    /// The sockets of `listeners` by address (several for `reuseport`, in slot order).
    static func sockets(of listeners: [Listener]) -> [String: [Int32]] {
        var out: [String: [Int32]] = [:]
        for l in listeners where !(out[l.address.text] ?? []).contains(l.fd) {
            out[l.address.text, default: []].append(l.fd)
        }
        return out
    }

    /// Closes the sockets of `open` that no listener of `keeping` uses (a `listen` a reload removed, an
    /// inherited socket the new configuration does not name), logging each; a unix socket's file is removed.
    func closeUnused(_ open: [String: [Int32]], keeping: [Listener]) {
        let kept = Set(keeping.map(\.fd))
        for (text, fds) in open.sorted(by: { $0.key < $1.key }) {
            let gone = fds.filter { !kept.contains($0) }
            guard !gone.isEmpty else { continue }
            log.log(.notice, "closing listening socket on \(text): no longer in the configuration")
            for fd in gone { close(fd) }
            if text.hasPrefix("unix:"), !keeping.contains(where: { $0.address.text == text }) {
                unlink(String(text.dropFirst(5)))
            }
        }
    }

    /// At exit: the files of unix listening sockets are removed, unless a new binary took them over.
    func removeUnixSocketFiles() {
        guard newBinary == 0 else { return }
        for l in listeners where l.address.family == .unix { unlink(l.address.host) }
    }

    /// Reads the sockets a binary upgrade passed in `TCPLUA` (nginx: "using inherited sockets from …"), keyed
    /// by the address each is bound to, and removes the variable so this master's own children do not see it.
    func inheritSockets() {
        guard let value = getenv(Master.inheritedSocketsVariable).map({ String(cString: $0) }) else { return }
        unsetenv(Master.inheritedSocketsVariable)
        log.log(.notice, "using inherited sockets from \"\(value)\"")
        for part in value.split(separator: ";") {
            guard let fd = Int32(part), fd > 2 else {
                log.log(
                    .emerg,
                    "invalid socket number \"\(part)\" in \(Master.inheritedSocketsVariable) environment variable, "
                        + "ignoring the rest"
                )
                return
            }
            var text = [CChar](repeating: 0, count: 256)
            guard tl_local_address_text(fd, &text, 256) == 0 else {
                log.log(.alert, "inherited socket #\(fd) is not a listening socket, ignored")
                continue
            }
            _ = tl_set_cloexec(fd, 1)
            let key = String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            inherited[key, default: []].append(fd)
        }
    }
}
