/// What kind of socket a `listen` opens.
public enum ListenFamily: Sendable, Equatable {
    case ipv4, ipv6
    /// `unix:/path`: `host` is the path.
    case unix
}

/// One `listen` address of a server, with its socket options.
public struct ListenAddress: Sendable, Equatable {
    /// Dotted quad (`0.0.0.0` for `*:port` or a bare port), IPv6 text without brackets in its canonical form
    /// (`::`, `::1`), or the path of a unix socket.
    public var host: String
    /// IPv4 unless the address was `[…]` or `unix:`.
    public var family: ListenFamily = .ipv4
    public var port: UInt16
    /// `backlog=N`, default 511 as nginx.
    public var backlog: Int
    /// `rcvbuf=SIZE` in bytes.
    public var rcvbuf: Int?
    /// `sndbuf=SIZE` in bytes.
    public var sndbuf: Int?
    /// `deferred` (TCP_DEFER_ACCEPT).
    public var deferred: Bool
    /// `bind`: bind this address separately.
    public var bind: Bool
    /// `reuseport` (SO_REUSEPORT).
    public var reuseport: Bool
    /// `so_keepalive=on|off|idle:intvl:cnt`: nil when not given.
    public var soKeepalive: Bool?
    /// TCP_KEEPIDLE in seconds, from `so_keepalive=idle:…`.
    public var keepaliveIdle: Int?
    /// TCP_KEEPINTVL in seconds.
    public var keepaliveInterval: Int?
    /// TCP_KEEPCNT.
    public var keepaliveCount: Int?
    /// Where the `listen` directive is.
    public var location: SourceLocation

    public init(
        host: String = "0.0.0.0",
        port: UInt16,
        backlog: Int = 511,
        rcvbuf: Int? = nil,
        sndbuf: Int? = nil,
        deferred: Bool = false,
        bind: Bool = false,
        reuseport: Bool = false,
        soKeepalive: Bool? = nil,
        keepaliveIdle: Int? = nil,
        keepaliveInterval: Int? = nil,
        keepaliveCount: Int? = nil,
        location: SourceLocation = SourceLocation(file: "", line: 0)
    ) {
        self.host = host
        self.port = port
        self.backlog = backlog
        self.rcvbuf = rcvbuf
        self.sndbuf = sndbuf
        self.deferred = deferred
        self.bind = bind
        self.reuseport = reuseport
        self.soKeepalive = soKeepalive
        self.keepaliveIdle = keepaliveIdle
        self.keepaliveInterval = keepaliveInterval
        self.keepaliveCount = keepaliveCount
        self.location = location
    }

    /// `host:port` as nginx prints it: `0.0.0.0:6666`, `[::1]:6666`, `unix:/run/app.sock`.
    public var text: String {
        switch family {
        case .ipv4: return "\(host):\(port)"
        case .ipv6: return "[\(host)]:\(port)"
        case .unix: return "unix:" + host
        }
    }

    /// `$server_addr`: the address without the port (`unix:/path` for a unix socket).
    public var addressText: String { family == .unix ? "unix:" + host : host }
}

/// One `allow` / `deny` rule; rules are checked in order and the first match wins.
public struct AccessRule: Sendable, Equatable {
    /// `allow` (true) or `deny` (false).
    public var allow: Bool
    /// The network address in host byte order, already masked.
    public var address: UInt32
    /// The netmask in host byte order; 0 for `all`.
    public var mask: UInt32
    /// `all`: every client, IPv4, IPv6 or unix.
    public var all: Bool
    /// An IPv6 rule's network; nil for an IPv4 rule (which IPv4-mapped IPv6 clients also meet, as in nginx).
    public var ipv6: IPv6Network?

    public init(allow: Bool, address: UInt32, mask: UInt32, all: Bool = false, ipv6: IPv6Network? = nil) {
        self.allow = allow
        self.address = address
        self.mask = mask
        self.all = all
        self.ipv6 = ipv6
    }

    /// True when the rule covers `client` (an IPv4 address in host byte order).
    public func matches(_ client: UInt32) -> Bool { all || (ipv6 == nil && client & mask == address) }

    /// True when the rule covers the IPv6 client `client` (not IPv4-mapped: those are matched as IPv4).
    public func matches(ipv6 client: IPv6Network.Bits) -> Bool {
        if all { return true }
        guard let net = ipv6 else { return false }
        return client.hi & net.mask.hi == net.address.hi && client.lo & net.mask.lo == net.address.lo
    }
}

/// An IPv6 network of an `allow`/`deny` rule: address (already masked) and mask, as two 64-bit halves each.
public struct IPv6Network: Sendable, Equatable {
    /// 128 bits, most significant half first.
    public struct Bits: Sendable, Equatable {
        public var hi: UInt64
        public var lo: UInt64
        public init(hi: UInt64, lo: UInt64) {
            self.hi = hi
            self.lo = lo
        }
        /// From 16 bytes in network order.
        public init(bytes: some Collection<UInt8>) {
            var hi: UInt64 = 0
            var lo: UInt64 = 0
            for (i, b) in bytes.prefix(16).enumerated() {
                if i < 8 { hi = hi << 8 | UInt64(b) } else { lo = lo << 8 | UInt64(b) }
            }
            self.init(hi: hi, lo: lo)
        }
    }
    public var address: Bits
    public var mask: Bits

    public init(address: Bits, mask: Bits) {
        self.address = address
        self.mask = mask
    }
}
