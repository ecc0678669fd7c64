/// The kinds of block a directive may appear in, one bit each.
public struct DirectiveContext: OptionSet, Sendable, Hashable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }

    /// The top level of the file (and `-g`).
    public static let main = DirectiveContext(rawValue: 1 << 0)
    /// `events { }`.
    public static let events = DirectiveContext(rawValue: 1 << 1)
    /// `tcp { }` (the seed).
    public static let tcp = DirectiveContext(rawValue: 1 << 2)
    /// `stream { }` (OpenResty's form).
    public static let stream = DirectiveContext(rawValue: 1 << 3)
    /// `server { }` inside `tcp { }`.
    public static let tcpServer = DirectiveContext(rawValue: 1 << 4)
    /// `server { }` inside `stream { }`.
    public static let streamServer = DirectiveContext(rawValue: 1 << 5)

    /// `tcp { }` or `stream { }`.
    public static let block: DirectiveContext = [.tcp, .stream]
    /// Any `server { }`.
    public static let server: DirectiveContext = [.tcpServer, .streamServer]
    /// A block or a server: where inheritable settings go.
    public static let blockOrServer: DirectiveContext = [.block, .server]
}

/// How many arguments a directive takes, and whether it opens a block.
enum Arity: Sendable {
    /// Exactly n arguments, ended by `;`.
    case exactly(Int)
    /// From `min` to `max` arguments, ended by `;`.
    case range(Int, Int)
    /// At least n arguments, ended by `;`.
    case atLeast(Int)
    /// No arguments and a `{ ... }` block of directives.
    case block
    /// A `*_by_lua_block { ... }` Lua body and no other argument.
    case luaBlock
}

/// What counts as a repeat of a directive (`"x" directive is duplicate`).
enum Uniqueness: Sendable {
    /// May repeat (lists: `listen`, `allow`, `error_log` …).
    case multiple
    /// Once per block; directives sharing a key exclude each other (`process_by_lua` vs `process_by_lua_file`).
    case perScope(String)
    /// Once for `tcp { }` and `stream { }` together (both feed one `TcpConfig`).
    case tcpWide(String)
}

/// One row of the directive table: name, allowed contexts, arity, repeat rule, and the setter that applies it.
struct DirectiveSpec: Sendable {
    /// Applies a directive (already checked for context, arity and repeats) to the build state.
    typealias Setter = @Sendable (Directive, inout BuildState) throws(ConfigError) -> Void

    let name: String
    let contexts: DirectiveContext
    let arity: Arity
    let uniqueness: Uniqueness
    let apply: Setter

    /// A row; by default the directive may appear once per block.
    init(
        _ name: String,
        _ contexts: DirectiveContext,
        _ arity: Arity,
        _ uniqueness: Uniqueness? = nil,
        apply: @escaping Setter
    ) {
        self.name = name
        self.contexts = contexts
        self.arity = arity
        self.uniqueness = uniqueness ?? .perScope(name)
        self.apply = apply
    }
}

/// Every directive tcplua knows, as data (OpenResty's `ngx_command_t` tables): rows are defined by area in
/// `DirectiveTable+Main.swift`, `+Lua`, `+Scope` and `+Server`.
public enum DirectiveTable {
    /// All rows.
    static let all: [DirectiveSpec] = mainDirectives + luaDirectives + scopeDirectives + serverDirectives

    /// Rows by name.
    static let byName: [String: DirectiveSpec] = Dictionary(all.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })

    /// Every directive name, sorted (plus `include`, which the parser handles).
    public static var names: [String] { (all.map(\.name) + ["include"]).sorted() }

    /// Directives that are parsed, checked and stored, but have no effect yet: loading warns about each use
    /// (`MainConfig.warnings`).
    public static var acceptedNotInEffect: [String] {
        [
            "use", "multi_accept", "accept_mutex", "env",
            "connection_pool_size", "session_pool_size", "server_name",
            "preread_timeout", "proxy_timeout",
            "lua_socket_send_lowat", "lua_socket_buffer_size",
            "lua_load_resty_core",
        ]
    }

    /// `acceptedNotInEffect` as a set, for the builder.
    static let notInEffect: Set<String> = Set(acceptedNotInEffect)

    /// The `n`th argument of every row helper below; the builder has already checked the count.
    static func arg(_ directive: Directive, _ index: Int = 0) -> String { directive.args[index] }
}
