/// What `tcp { }` and `stream { }` declare for the whole process (both blocks merged into one).
public struct TcpConfig: Sendable {
    /// `lua_package_path`; nil = LUA_PATH or the built-in default.
    public var packagePath: String?
    /// `lua_package_cpath`; nil = LUA_CPATH or the built-in default.
    public var packageCPath: String?
    /// `lua_shared_dict` declarations in order.
    public var sharedDicts: [LuaShareDictDecl] = []
    /// `init_by_lua*`.
    public var initByLua: LuaSource?
    /// `init_worker_by_lua*`.
    public var initWorkerByLua: LuaSource?
    /// The servers of both blocks, in configuration order, merged.
    public var servers: [ServerConfig] = []
    /// `log_format` name → template text; always has `combined`.
    public var logFormats: [String: String] = ["combined": AccessLog.combinedFormat]
    /// `lua_max_pending_timers`.
    public var maxPendingTimers: Int = 1024
    /// `lua_max_running_timers`.
    public var maxRunningTimers: Int = 256
    /// `lua_regex_cache_max_entries`.
    public var regexCacheMaxEntries: Int = 1024
    /// `lua_regex_match_limit` (0 = PCRE's default).
    public var regexMatchLimit: Int = 0
    /// `lua_add_variable $name` declarations: variable names (without `$`) that `ngx.var` reads and assigns.
    public var addedVariables: [String] = []
    /// `lua_load_resty_core` (a no-op, as in OpenResty).
    public var loadRestyCore: Bool = true

    /// An empty block with every default.
    public init() {}
}

/// The whole configuration: main-context settings, `events { }`, and the merged `tcp`/`stream` blocks.
public struct MainConfig: Sendable {
    /// `worker_processes`; 0 means `auto` (one per CPU).
    public var workerProcesses: Int = 1
    /// `daemon` (on by default, as nginx).
    public var daemon: Bool = true
    /// `pid`, as written (relative to the prefix).
    public var pidPath: String = "logs/tcplua.pid"
    /// Main-level `error_log` targets.
    public var errorLogs: [LogTarget] = [.defaultTarget]
    /// `master_process`.
    public var masterProcess: Bool = true
    /// `events { worker_connections }`.
    public var workerConnections: Int = 512
    /// `events { use }` (only `epoll` is accepted; stored only).
    public var eventMethod: String?
    /// `events { multi_accept }` (stored only).
    public var multiAccept: Bool = false
    /// `events { accept_mutex }` (stored only).
    public var acceptMutex: Bool = false
    /// `worker_rlimit_nofile`.
    public var workerRlimitNofile: Int?
    /// `worker_shutdown_timeout`: the bound of a graceful stop (QUIT); nil = wait for every session, as nginx.
    public var workerShutdownTimeout: Int?
    /// `env VAR[=VALUE]` entries as written.
    public var env: [String] = []
    /// `user USER [GROUP]`: who the workers run as when the master is root; nil = unchanged.
    public var user: UserSetting?
    /// `tcp { }` and `stream { }` merged.
    public var tcp: TcpConfig = TcpConfig()
    /// True when the configuration has a `tcp { }` or a `stream { }` block.
    public var hasTcpBlock: Bool = false
    /// What loading found worth a `[warn]` (directives accepted but not in effect), in configuration order.
    public var warnings: [ConfigWarning] = []

    /// The configuration of an empty file.
    public init() {}
}

/// `user USER [GROUP]` as written; the names are looked up when the server starts (and by `-t`).
public struct UserSetting: Sendable, Equatable {
    /// The user name.
    public var user: String
    /// The group name; nil = the user's primary group.
    public var group: String?
    /// Where the directive is, for its messages.
    public var location: SourceLocation

    public init(user: String, group: String? = nil, location: SourceLocation) {
        self.user = user
        self.group = group
        self.location = location
    }
}

extension TcpConfig {
    /// `lua_package_path` with `$prefix` and `${prefix}` replaced by `prefix` (which ends with `/`, as nginx's
    /// prefix does: `$prefix/lua/?.lua` and `${prefix}lua/?.lua` both work), as OpenResty documents.
    public func packagePath(prefix: String) -> String? { packagePath.map { Self.expandingPrefix($0, prefix) } }

    /// `lua_package_cpath`, expanded like `packagePath(prefix:)`.
    public func packageCPath(prefix: String) -> String? { packageCPath.map { Self.expandingPrefix($0, prefix) } }

    /// `path` with every `${prefix}` and `$prefix` replaced by `prefix`.
    static func expandingPrefix(_ path: String, _ prefix: String) -> String {
        path.replacing("${prefix}", with: prefix).replacing("$prefix", with: prefix)
    }
}
