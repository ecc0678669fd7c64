/// One `listen` address of a server, with its socket options.
public struct ListenAddress: Sendable, Equatable {
    /// Dotted quad; `0.0.0.0` for `*:port` or a bare port.
    public var host: String
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

    /// `host:port`, e.g. `0.0.0.0:6666`.
    public var text: String { "\(host):\(port)" }
}

/// One `allow` / `deny` rule; rules are checked in order and the first match wins.
public struct AccessRule: Sendable, Equatable {
    /// `allow` (true) or `deny` (false).
    public var allow: Bool
    /// The network address in host byte order, already masked.
    public var address: UInt32
    /// The netmask in host byte order; 0 for `all`.
    public var mask: UInt32

    public init(allow: Bool, address: UInt32, mask: UInt32) {
        self.allow = allow
        self.address = address
        self.mask = mask
    }

    /// True when the rule covers `client` (an IPv4 address in host byte order).
    public func matches(_ client: UInt32) -> Bool { client & mask == address }
}
