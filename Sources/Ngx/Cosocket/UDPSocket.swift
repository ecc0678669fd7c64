import EventLoop
import Glibc
import LuaKit

/// One `ngx.socket.udp()` object: a connected datagram socket (`setpeername`) whose receive waits yield.
/// A read timeout leaves it usable; `close` or a new `setpeername` drops the descriptor.
final class UDPSocket: Cosocket {
    private(set) var handler: DatagramHandler?
    var readTimeout: Int64
    let server: ServerRuntime
    /// The receive in progress: its size limit.
    var wantSize = 0

    override init(thread: LuaThread) {
        server = thread.session.server
        readTimeout = Int64(server.config.socketReadTimeout)
        super.init(thread: thread)
    }

    /// Connects to `target`; nil on success, else the errno.
    func setPeer(_ target: SocketTarget, runtime: NgxRuntime) -> Int32? {
        close()
        let start: ConnectStart
        switch target {
        case .ip(let a, let port): start = Sys.connect(a, port: port, udp: true)
        case .unix(let path): start = Sys.connectUnix(path, udp: true)
        }
        switch start {
        case .connected(let fd), .pending(let fd):
            let h = DatagramHandler(fd: fd, runtime: runtime)
            do throws(SysError) {
                try runtime.loop.register(fd, h, events: Events.read | Events.edge)
            } catch {
                Sys.close(fd)
                return error.errno
            }
            handler = h
            return nil
        case .failed(let e):
            return e
        }
    }

    @discardableResult
    func close() -> Bool {
        guard let h = handler else { return false }
        handler = nil
        h.close()
        return true
    }

    override func shutdown() {
        query?.abort()
        query = nil
        close()
    }
}

/// The loop's side of a UDP cosocket: readiness, the waiting reader, and the read timer (its built-in slot).
final class DatagramHandler: EventHandler {
    let fd: Int32
    unowned(unsafe) let runtime: NgxRuntime
    unowned(unsafe) var reader: LuaThread?
    var readable = false
    private(set) var closed = false

    init(fd: Int32, runtime: NgxRuntime) {
        self.fd = fd
        self.runtime = runtime
        super.init()
    }

    override func handleEvent(_ events: UInt32) {
        readable = true
        if let r = reader { r.suspensionReady() }
    }

    override func fire() { reader?.suspensionTimedOut() }

    func close() {
        guard !closed else { return }
        closed = true
        runtime.loop.cancel(self)
        runtime.loop.deregister(fd, closing: true)
        Sys.close(fd)
    }
}

/// A UDP receive waiting for a datagram (the datagram is read inside the resumed coroutine).
enum DatagramWait: Suspension {
    static func ready(_ t: LuaThread) {
        guard let h = t.udpSocket.handler else { return }
        h.reader = nil
        h.runtime.loop.cancel(h)
        t.wake()
    }

    static func timedOut(_ t: LuaThread) {
        t.udpSocket.handler?.reader = nil
        t.outcome = .timedOut
        t.wake()
    }

    static func results(_ t: LuaThread, _ lua: Lua) -> Int32 {
        let s = t.udpSocket
        if t.outcome == .timedOut {
            if s.server.config.socketLogErrors {
                t.session.log(.error, (s.server.config.isStream ? "stream " : "") + NgxStrings.logUDPReadTimedOut)
            }
            return NgxAPI.pushFailure(lua, NgxStrings.timeout)
        }
        return receive(t, s, lua)
    }

    static func cancel(_ t: LuaThread) {
        guard let h = t.udpSocket.handler else { return }
        h.reader = nil
        h.runtime.loop.cancel(h)
    }

    /// Reads one datagram (up to the asked size), or parks until one comes.
    static func receive(_ t: LuaThread, _ s: UDPSocket, _ lua: Lua) -> Int32 {
        guard let h = s.handler else { return NgxAPI.pushFailure(lua, NgxStrings.closed) }
        let size = s.wantSize
        var buf = t.runtime.pool.pointee.take()
        defer { t.runtime.pool.pointee.give(&buf) }
        _ = buf.reserve(size)
        switch Sys.recv(h.fd, buf.writePointer, min(size, buf.writable)) {
        case .bytes(let n):
            lua.push(bytes: buf.writePointer, count: n)
            return 1
        case .wouldBlock, .eof:
            h.readable = false
            t.waitSocket = s
            h.reader = t
            h.runtime.loop.arm(h, afterMs: s.readTimeout)
            return t.suspend(on: DatagramWait.self)
        case .failed(let e):
            return NgxAPI.pushFailure(lua, NgxStrings.socketError(e))
        }
    }
}

extension LuaThread {
    @inline(__always) var udpSocket: UDPSocket { unsafeDowncast(waitSocket!, to: UDPSocket.self) }
}
