/// Inheritable settings of one scope (`tcp { }`, `stream { }` or a `server { }`); nil means "not set here", so the
/// merge step can take the enclosing block's value or the default (nginx's `merge_srv_conf`).
struct ScopeSettings: Sendable {
    var readTimeout: Int?
    var sendTimeout: Int?
    var keepaliveTimeout: Int?
    var codeCache: Bool?
    var socketConnectTimeout: Int?
    var socketSendTimeout: Int?
    var socketReadTimeout: Int?
    var socketKeepaliveTimeout: Int?
    var socketSendLowat: Int?
    var socketPoolSize: Int?
    var socketBufferSize: Int?
    var socketLogErrors: Bool?
    var checkClientAbort: Bool?
    var resolver: ResolverSetting?
    var resolverTimeout: Int?
    var accessRules: [AccessRule]?
    var errorLogs: [LogTarget]?
    var accessLog: AccessLogSetting?
    var clientMaxBodySize: Int?
    var connectionPoolSize: Int?
    var sessionPoolSize: Int?
    var tcpNodelay: Bool?
    var soKeepalive: Bool?
    var prereadTimeout: Int?
    var proxyTimeout: Int?
    var lingeringClose: LingeringClose?
    var lingeringTime: Int?
    var lingeringTimeout: Int?
}

/// A `resolver` directive: it is inherited as a whole.
struct ResolverSetting: Sendable, Equatable {
    var addresses: [String]
    var valid: Int?
    var ipv6: Bool
}

/// An `access_log` directive: off, or a destination with its resolved format.
enum AccessLogSetting: Sendable, Equatable {
    case off
    case on(AccessLog)
}

/// A `tcp { }` or `stream { }` block being built.
struct BlockDraft: Sendable {
    var present = false
    var settings = ScopeSettings()
    /// Names (or shared keys) of the non-repeatable directives seen in this block.
    var seen: Set<String> = []
}

/// A `server { }` being built.
struct ServerDraft: Sendable {
    var location: SourceLocation
    var isStream: Bool
    var settings = ScopeSettings()
    var seen: Set<String> = []
    var listens: [ListenAddress] = []
    var protocolName: String?
    var handler: LuaSource?
    /// `preread_by_lua*`, `log_by_lua*` (stream-lua's phases around the content handler).
    var preread: LuaSource?
    var logHandler: LuaSource?
    var demoEcho: String?
    var serverNames: [String] = []
}

/// A writable key path into the current scope's settings, usable from `@Sendable` table rows.
typealias ScopeKey<Value> = WritableKeyPath<ScopeSettings, Value?> & Sendable
/// A writable key path into `MainConfig`, usable from `@Sendable` table rows.
typealias MainKey<Value> = WritableKeyPath<MainConfig, Value> & Sendable
/// A writable key path into `TcpConfig`, usable from `@Sendable` table rows.
typealias TcpKey<Value> = WritableKeyPath<TcpConfig, Value> & Sendable

/// Everything the builder accumulates while walking the directive tree; `finish()` (Merge.swift) turns it into a
/// `MainConfig`.
struct BuildState: Sendable {
    /// Main-context values (set directly; defaults are MainConfig's).
    var main = MainConfig()
    /// `error_log` at main level; replaces the default when not empty.
    var mainErrorLogs: [LogTarget] = []
    /// Values shared by `tcp { }` and `stream { }` (servers are filled in by `finish()`).
    var tcp = TcpConfig()
    var tcpBlock = BlockDraft()
    var streamBlock = BlockDraft()
    /// Finished servers, in order.
    var servers: [ServerDraft] = []
    /// The server being built, if inside one.
    var server: ServerDraft?
    /// The context of the directives being applied.
    var context: DirectiveContext = .main
    var mainSeen: Set<String> = []
    var eventsSeen: Set<String> = []
    var tcpWideSeen: Set<String> = []
    /// `host:port` of every listen so far, across all servers.
    var listenTexts: Set<String> = []
    /// Warnings so far, in configuration order.
    var warnings: [ConfigWarning] = []

    /// The settings of the innermost scope: the current server, else the current block.
    var scope: ScopeSettings {
        get {
            if let server { return server.settings }
            return context == .stream ? streamBlock.settings : tcpBlock.settings
        }
        set {
            if server != nil {
                server?.settings = newValue
            } else if context == .stream {
                streamBlock.settings = newValue
            } else {
                tcpBlock.settings = newValue
            }
        }
    }

    /// The repeat-tracking set of the current context.
    var seen: Set<String> {
        get {
            switch context {
            case .main: mainSeen
            case .events: eventsSeen
            case .tcp: tcpBlock.seen
            case .stream: streamBlock.seen
            default: server?.seen ?? []
            }
        }
        set {
            switch context {
            case .main: mainSeen = newValue
            case .events: eventsSeen = newValue
            case .tcp: tcpBlock.seen = newValue
            case .stream: streamBlock.seen = newValue
            default: server?.seen = newValue
            }
        }
    }
}
