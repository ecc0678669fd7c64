import Config
import EventLoop
import Glibc
import LuaKit

@testable import Ngx

/// A Lua handler running in this process on an `EventLoop` with a manual clock, its client the other end of
/// a socketpair: the session API tested without the network or wall-clock waits (timeouts advance the clock).
final class InProcess {
    let runtime: NgxRuntime
    let client: Int32

    /// `sendBuffer`: SO_SNDBUF of the server's end, to make output wait with little printed.
    init(_ code: String, sendBuffer: Int32? = nil, configure: (inout ServerConfig) -> Void = { _ in }) throws {
        // As the server does (Master): a write to a closed peer is EPIPE, not the end of the test process (the
        // client's write below, to a session that closed, killed it now and then on a loaded machine).
        signal(SIGPIPE, SIG_IGN)
        let loop = try EventLoop()
        loop.clock.isManual = true
        runtime = NgxRuntime(loop: loop, vm: LuaVM(), log: ErrorLog.stderr(level: .crit), prefix: "/tmp/")
        runtime.phase = .session
        var config = ServerConfig()
        config.handler = .inline(code: code, chunkName: "test", firstLine: 1)
        config.accessLog = nil
        config.errorLogs = [LogTarget(path: "stderr", level: .crit)]
        configure(&config)
        let server = try runtime.makeServers([config])[0]
        var fds: [Int32] = [0, 0]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds) == 0 else { throw SysError("socketpair") }
        for fd in fds { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) }
        client = fds[1]
        if var size = sendBuffer {
            _ = setsockopt(fds[0], SOL_SOCKET, SO_SNDBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        runtime.startSession(fd: fds[0], address: 0x7f00_0001, port: 1, server: server)
        pump()
    }

    deinit { close(client) }

    /// Runs loop iterations that do not wait.
    func pump(_ times: Int = 5) {
        for _ in 0..<times { runtime.loop.runOnce(maxWaitMs: 0) }
    }

    func send(_ s: String) {
        _ = s.withCString { write(client, $0, strlen($0)) }
        pump()
    }

    /// What the session has sent so far (nil once it closed the connection and everything was read).
    func received() -> String? {
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = read(client, &buf, buf.count)
            if n > 0 {
                out += buf[0..<n]
                continue
            }
            if n == 0 && out.isEmpty { return nil }
            break
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Moves the manual clock and fires what is due.
    func advance(ms: Int64) {
        runtime.loop.advance(byMs: ms)
        pump()
    }

    /// A global of the Lua VM (handlers set `_G.name` to report to the test).
    func global(_ name: String) -> String? {
        let lua = runtime.vm.lua
        lua.getGlobal(name)
        defer { lua.pop() }
        return lua.string(-1)
    }

    var activeSessions: Int { runtime.activeSessions }
}
