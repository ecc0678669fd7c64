import EventLoop
import Glibc
import LuaKit

/// Host names for cosockets through the `resolver` directive's DNS servers: UDP on the worker's loop, one
/// server at a time (a server that refuses or stays silent for its share of `resolver_timeout` hands over to
/// the next), A records then AAAA ones (with `ipv6=on`), answers cached for their TTL or `valid=`. Failures
/// use nginx's words: `x could not be resolved (3: Host not found)`, `(110: Operation timed out)`.
enum Resolver {
    /// Resolved names: their addresses and when they expire (loop milliseconds).
    nonisolated(unsafe) static var cache: [String: (addresses: [IPAddress], expires: Int64)] = [:]

    /// The cache key: the name and the address families asked for (a `resolver ... ipv6=off` server must
    /// not be handed the AAAA answer another server's lookup cached).
    static func cacheKey(_ name: String, ipv6: Bool) -> String { ipv6 ? name + "/4,6" : name + "/4" }

    /// Connects TCP socket `s`, or sets the peer of UDP socket `s`, to `host:port` once the name is resolved
    /// (at once from the cache).
    static func connect(_ t: LuaThread, _ s: Cosocket, host: String, port: UInt16, _ lua: Lua) -> Int32 {
        let config = t.session.server.config
        guard !config.resolvers.isEmpty else { return failed(s, NgxStrings.noResolver(host), lua) }
        let name = host.lowercased()
        let key = cacheKey(name, ipv6: config.resolverIPv6)
        if let hit = cache[key], hit.expires > t.runtime.loop.now, let a = hit.addresses.randomElement() {
            return finish(t, s, a, port, lua)
        }
        let servers = config.resolvers.compactMap(parseServer)
        guard !servers.isEmpty, DNSPacket.query(id: 0, name: name, type: DNSPacket.typeA) != nil else {
            return failed(s, NgxStrings.failedToParseHost(host), lua)
        }
        let q = DNSQuery(
            name: name,
            servers: servers,
            ipv6: config.resolverIPv6,
            runtime: t.runtime,
            timeoutMs: Int64(config.resolverTimeout),
            validMs: config.resolverValid.map(Int64.init)
        )
        q.thread = t
        q.port = port
        q.host = host
        q.key = key
        s.query = q
        t.waitSocket = s
        q.start()
        if q.done { return ResolveWait.results(t, lua) }
        return t.suspend(on: ResolveWait.self)
    }

    /// The address is known: the TCP connect or the UDP peer goes on.
    static func finish(_ t: LuaThread, _ s: Cosocket, _ a: IPAddress, _ port: UInt16, _ lua: Lua) -> Int32 {
        if s.isTCP { return NgxAPI.finishConnect(t, unsafeDowncast(s, to: TCPSocket.self), .ip(a, port), lua) }
        return NgxAPI.finishSetPeer(t, unsafeDowncast(s, to: UDPSocket.self), .ip(a, port), lua)
    }

    /// `nil, text`; a TCP socket logs it (when `log`) and gives its capped pool's slot back.
    static func failed(_ s: Cosocket, _ text: String, _ lua: Lua, log: Bool = false) -> Int32 {
        if s.isTCP {
            let tcp = unsafeDowncast(s, to: TCPSocket.self)
            tcp.releaseSlot()
            if log { tcp.logError(text) }
        }
        return NgxAPI.pushFailure(lua, text)
    }

    /// `1.2.3.4`, `1.2.3.4:5353`, `[::1]:53`, `localhost`.
    static func parseServer(_ text: String) -> (IPAddress, UInt16)? {
        var host = text
        var port: UInt16 = 53
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            host = String(text[text.index(after: text.startIndex)..<close])
            let rest = text[text.index(after: close)...]
            if rest.hasPrefix(":") { port = UInt16(rest.dropFirst()) ?? 53 }
        } else if let colon = text.firstIndex(of: ":") {
            host = String(text[..<colon])
            port = UInt16(text[text.index(after: colon)...]) ?? 53
        }
        if host == "localhost" { host = "127.0.0.1" }
        guard let a = IPAddress(host) else { return nil }
        return (a, port)
    }
}

/// One lookup in flight: a connected UDP socket to the current server, its timer the server's share of
/// `resolver_timeout`.
final class DNSQuery: EventHandler {
    let name: String
    let servers: [(IPAddress, UInt16)]
    let ipv6: Bool
    unowned(unsafe) let runtime: NgxRuntime
    let perServerMs: Int64
    let validMs: Int64?
    unowned(unsafe) var thread: LuaThread?
    var host = ""
    var port: UInt16 = 0
    /// Where the answer goes in `Resolver.cache`.
    var key = ""
    private var index = 0
    private var fd: Int32 = -1
    private var id: UInt16 = 0
    private var type = DNSPacket.typeA
    /// The outcome: the address, or nginx's code (3, 110, ...).
    private(set) var address: IPAddress?
    private(set) var code = 110
    private(set) var done = false

    init(
        name: String,
        servers: [(IPAddress, UInt16)],
        ipv6: Bool,
        runtime: NgxRuntime,
        timeoutMs: Int64,
        validMs: Int64?
    ) {
        self.name = name
        self.servers = servers
        self.ipv6 = ipv6
        self.runtime = runtime
        self.validMs = validMs
        perServerMs = max(1, timeoutMs / Int64(servers.count))
        super.init()
    }

    /// Sends the query to the current server (or the next one that can be reached).
    func start() {
        while index < servers.count {
            if send() { return }
            index += 1
        }
        finish(code: 110)
    }

    private func send() -> Bool {
        closeSocket()
        let (a, p) = servers[index]
        guard case .connected(let s) = Sys.connect(a, port: p, udp: true) else { return false }
        fd = s
        do throws(SysError) {
            try runtime.loop.register(fd, self, events: Events.read | Events.edge)
        } catch {
            Sys.close(fd)
            fd = -1
            return false
        }
        id = UInt16.random(in: 1...UInt16.max)
        guard let packet = DNSPacket.query(id: id, name: name, type: type) else { return false }
        let sent = packet.withUnsafeBytes { Sys.write(fd, $0.baseAddress!, $0.count) }
        guard case .bytes = sent else { return false }
        runtime.loop.arm(self, afterMs: perServerMs)
        return true
    }

    override func handleEvent(_ events: UInt32) {
        guard !done, fd >= 0 else { return }
        var buf = [UInt8](repeating: 0, count: 4096)
        while !done {
            let r = buf.withUnsafeMutableBytes { Sys.recv(fd, $0.baseAddress!, 4096) }
            switch r {
            case .bytes(let n):
                answered(Array(buf[0..<n]))
            case .wouldBlock, .eof:
                return
            case .failed:  // ECONNREFUSED: nothing listens there; the next server
                nextServer()
                return
            }
        }
    }

    private func answered(_ p: [UInt8]) {
        switch DNSPacket.parse(p, id: id, type: type) {
        case nil:
            return  // a wrong id or a truncated packet: ignored, as nginx does; the timer still runs
        case .addresses(let raw, let ttl)?:
            let addrs = raw.compactMap { r in r.withUnsafeBytes { IPAddress(raw: $0) } }
            let ms = validMs ?? Int64(ttl) * 1000
            Resolver.cache[key] = (addrs, runtime.loop.now + ms)
            address = addrs.randomElement()
            finish(code: 0)
        case .failure(let c)?:
            if c == 0 && ipv6 && type == DNSPacket.typeA {
                type = DNSPacket.typeAAAA
                if !send() { nextServer() }
                return
            }
            finish(code: c == 0 ? 3 : c)
        }
    }

    /// The current server's share of the timeout passed.
    override func fire() { nextServer() }

    private func nextServer() {
        index += 1
        type = DNSPacket.typeA
        start()
    }

    private func finish(code c: Int) {
        guard !done else { return }
        done = true
        code = c
        closeSocket()
        runtime.loop.cancel(self)
        if let t = thread, t.parkedOn == ResolveWait.self { t.wake() }
    }

    private func closeSocket() {
        guard fd >= 0 else { return }
        runtime.loop.deregister(fd, closing: true)
        Sys.close(fd)
        fd = -1
    }

    /// The waiting thread is gone: stop.
    func abort() {
        thread = nil
        done = true
        closeSocket()
        runtime.loop.cancel(self)
    }
}

/// A connect waiting for its host name.
enum ResolveWait: Suspension {
    static func ready(_ t: LuaThread) {}
    static func timedOut(_ t: LuaThread) {}

    /// Connects to the address found (which may wait again) or returns the resolver's error.
    static func results(_ t: LuaThread, _ lua: Lua) -> Int32 {
        let s = t.waitSocket!
        guard let q = s.query else { return Resolver.failed(s, NgxStrings.closed, lua) }
        s.query = nil
        guard let a = q.address else {
            return Resolver.failed(s, NgxStrings.notResolved(q.host, q.code, DNSPacket.text(q.code)), lua, log: true)
        }
        return Resolver.finish(t, s, a, q.port, lua)
    }

    static func cancel(_ t: LuaThread) {
        let s = t.waitSocket!
        s.query?.abort()
        s.query = nil
    }
}
