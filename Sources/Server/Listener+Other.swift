import CShim
import Config
import EventLoop
import Glibc
import Ngx

/// Accepting on `[IPv6]:port` and `unix:` sockets: the client's address is kept as text for the logs
/// (`$remote_addr`, `client: …`); IPv4-mapped clients of an IPv6 socket count as IPv4 for `allow`/`deny`.
extension Listener {
    func acceptOther(_ server: ServerRuntime, _ runtime: NgxRuntime) {
        var family: Int32 = 0
        var v4: UInt32 = 0
        var v6 = [UInt8](repeating: 0, count: 16)
        var port: UInt16 = 0
        for _ in 0..<64 {
            let c = tl_accept_any(fd, &family, &v4, &v6, &port)
            if c < 0 {
                let e = errno
                if e == EAGAIN || e == EWOULDBLOCK || e == EINTR || e == ECONNABORTED { return }
                runtime.log.log(.alert, SysError("accept4", errno: e).description)
                if [EMFILE, ENFILE, ENOBUFS, ENOMEM].contains(e) { pause(runtime) }
                return
            }
            let text: String?
            let rules = server.config.accessRules
            switch family {
            case 4:
                text = nil
                if !Access.allowed(v4, rules) {
                    forbidden(c, Sys.ipString(v4), server)
                    continue
                }
            case 6:
                let t = Listener.ipv6Text(v6)
                text = t
                if !Access.allowed(ipv6: IPv6Network.Bits(bytes: v6), rules) {
                    forbidden(c, t, server)
                    continue
                }
            default:
                text = "unix:"
                if !Access.allowedUnix(rules) {
                    forbidden(c, "unix:", server)
                    continue
                }
            }
            if address.family != .unix {
                if server.config.tcpNodelay { _ = tl_set_nodelay(c) }
                if server.config.soKeepalive { Listener.setKeepalive(c) }
            }
            runtime.startSession(
                fd: c,
                address: v4,
                port: port,
                server: server,
                listenIndex: listenIndex,
                remoteText: text
            )
        }
    }

    /// nginx's line for a client an `allow`/`deny` rule refused; the connection is closed.
    func forbidden(_ c: Int32, _ client: String, _ server: ServerRuntime) {
        server.errorLog.log(
            .notice,
            "access forbidden by rule",
            connection: 0,
            context: ", client: \(client), server: \(address.text)"
        )
        Sys.close(c)
    }

    /// The server's `so_keepalive on` (the seed's directive): SO_KEEPALIVE on each accepted connection, with
    /// the kernel's idle, interval and count (`listen … so_keepalive=idle:intvl:cnt` sets those per socket).
    static func setKeepalive(_ c: Int32) {
        var one: Int32 = 1
        _ = setsockopt(c, SOL_SOCKET, SO_KEEPALIVE, &one, socklen_t(MemoryLayout<Int32>.size))
    }

    static func ipv6Text(_ bytes: [UInt8]) -> String {
        var out = [CChar](repeating: 0, count: 64)
        _ = bytes.withUnsafeBytes { inet_ntop(AF_INET6, $0.baseAddress, &out, 64) }
        return String(decoding: out.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
