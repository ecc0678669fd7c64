/// One `server { }` of `tcp { }` or `stream { }`, after merging: every value is filled, either from the server,
/// inherited from its `tcp`/`stream` block, or the default. Times are milliseconds, sizes bytes.
public struct ServerConfig: Sendable {
    /// Its `listen` addresses (at least one).
    public var listens: [ListenAddress] = []
    /// `protocol`: `tcp_lua` (default) or `demo`.
    public var protocolName: String = "tcp_lua"
    /// `process_by_lua*` / `content_by_lua*`; nil when the server has none.
    public var handler: LuaSource?
    /// `preread_by_lua*`: runs before the content handler; it goes on unless it fails or calls
    /// `ngx.exit()` with a code other than `ngx.OK` (0) or `ngx.DECLINED` (-5).
    public var preread: LuaSource?
    /// `log_by_lua*`: runs once the session is over (it cannot yield, print or read).
    public var logHandler: LuaSource?
    /// `demo_echo` for `protocol demo`.
    public var demoEcho: String?
    /// `server_name` values (stored only).
    public var serverNames: [String] = []
    /// `read_timeout`: `ngx.receive` and the default cosocket read timeout.
    public var readTimeout: Int = 60_000
    /// `send_timeout`.
    public var sendTimeout: Int = 60_000
    /// `keepalive_timeout`: idle time allowed in `ngx.wait_next_request`; nil = never close idle clients (seed).
    public var keepaliveTimeout: Int?
    /// `lua_code_cache`.
    public var codeCache: Bool = true
    /// `lua_socket_connect_timeout`.
    public var socketConnectTimeout: Int = 60_000
    /// `lua_socket_send_timeout`.
    public var socketSendTimeout: Int = 60_000
    /// `lua_socket_read_timeout`.
    public var socketReadTimeout: Int = 60_000
    /// `lua_socket_keepalive_timeout`: default idle time of pooled cosockets.
    public var socketKeepaliveTimeout: Int = 60_000
    /// `lua_socket_send_lowat`.
    public var socketSendLowat: Int = 0
    /// `lua_socket_pool_size`.
    public var socketPoolSize: Int = 30
    /// `lua_socket_buffer_size`.
    public var socketBufferSize: Int = 4096
    /// `lua_socket_log_errors`.
    public var socketLogErrors: Bool = true
    /// `lua_check_client_abort`.
    public var checkClientAbort: Bool = false
    /// `resolver` addresses as written (`114.114.114.114`, `10.0.0.1:5353`).
    public var resolvers: [String] = []
    /// `resolver … valid=TIME`, in milliseconds like every time here; nil = use the DNS TTL.
    public var resolverValid: Int?
    /// `resolver … ipv6=on|off` (default on).
    public var resolverIPv6: Bool = true
    /// `resolver_timeout`.
    public var resolverTimeout: Int = 30_000
    /// `allow` / `deny` rules in order; empty allows everyone.
    public var accessRules: [AccessRule] = []
    /// `error_log` targets: the server's, else its block's, else the main ones.
    public var errorLogs: [LogTarget] = [.defaultTarget]
    /// `access_log`; nil for `access_log off`.
    public var accessLog: AccessLog? = AccessLog()
    /// `client_max_body_size` (used by `protocol demo`).
    public var clientMaxBodySize: Int = 1024
    /// `connection_pool_size` (stored only).
    public var connectionPoolSize: Int = 512
    /// `session_pool_size` (stored only).
    public var sessionPoolSize: Int = 1024
    /// `tcp_nodelay`.
    public var tcpNodelay: Bool = true
    /// `so_keepalive` (bigplum's server-level flag).
    public var soKeepalive: Bool = false
    /// `preread_timeout` (stream; stored only).
    public var prereadTimeout: Int = 30_000
    /// `proxy_timeout` (stream; stored only).
    public var proxyTimeout: Int = 600_000
    /// `lingering_close`: whether a connection closed with client bytes unread first half-closes and drains.
    public var lingeringClose: LingeringClose = .on
    /// `lingering_time`: the most time spent draining a closing connection.
    public var lingeringTime: Int = 30_000
    /// `lingering_timeout`: the most time to wait for more client bytes while draining.
    public var lingeringTimeout: Int = 5_000
    /// Where the `server` directive is.
    public var location: SourceLocation = SourceLocation(file: "", line: 0)
    /// True when declared in `stream { }` rather than `tcp { }`.
    public var isStream: Bool = false

    /// A server with every default and no listen address.
    public init() {}
}

/// `lingering_close off|on|always` (nginx's values).
public enum LingeringClose: String, Sendable {
    /// Close at once, even with client bytes unread (the kernel may then reset the connection).
    case off
    /// Half-close and drain only when the client sent bytes the handler did not read.
    case on
    /// Always half-close and drain until the client closes or the bounds pass.
    case always
}
