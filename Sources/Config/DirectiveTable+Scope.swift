/// Directives valid in `tcp { }`/`stream { }` and in `server { }`: a server inherits what it does not set.
extension DirectiveTable {
    static let scopeDirectives: [DirectiveSpec] = [
        .scopeFlag("lua_code_cache", \.codeCache),
        .scopeTime("lua_socket_connect_timeout", \.socketConnectTimeout),
        .scopeTime("lua_socket_send_timeout", \.socketSendTimeout),
        .scopeTime("lua_socket_read_timeout", \.socketReadTimeout),
        .scopeTime("lua_socket_keepalive_timeout", \.socketKeepaliveTimeout),
        .scopeSize("lua_socket_send_lowat", \.socketSendLowat),
        .scopeSize("lua_socket_buffer_size", \.socketBufferSize),
        .scopeNumber("lua_socket_pool_size", \.socketPoolSize),
        .scopeFlag("lua_socket_log_errors", \.socketLogErrors),
        .scopeFlag("lua_check_client_abort", \.checkClientAbort),
        .scopeTime("read_timeout", \.readTimeout),
        .scopeTime("send_timeout", \.sendTimeout),
        .scopeTime("keepalive_timeout", \.keepaliveTimeout),
        .scopeTime("resolver_timeout", \.resolverTimeout),
        .scopeTime("preread_timeout", \.prereadTimeout),
        .scopeTime("proxy_timeout", \.proxyTimeout),
        .scopeSize("connection_pool_size", \.connectionPoolSize),
        .scopeSize("session_pool_size", \.sessionPoolSize),
        .scopeSize("client_max_body_size", \.clientMaxBodySize),
        .scopeFlag("tcp_nodelay", \.tcpNodelay),
        .scopeFlag("so_keepalive", \.soKeepalive),
        .scopeTime("lingering_time", \.lingeringTime),
        .scopeTime("lingering_timeout", \.lingeringTimeout),
        DirectiveSpec("lingering_close", .blockOrServer, .exactly(1)) { d, state throws(ConfigError) in
            guard let value = LingeringClose(rawValue: d.args[0]) else {
                throw d.error(
                    "invalid value \"\(d.args[0])\" in \"lingering_close\" directive, it must be \"off\", \"on\" or \"always\""
                )
            }
            state.scope.lingeringClose = value
        },
        DirectiveSpec("allow", .blockOrServer, .exactly(1), .multiple) { d, state throws(ConfigError) in
            try state.scope.accessRules = (state.scope.accessRules ?? []) + [accessRule(d, allow: true)]
        },
        DirectiveSpec("deny", .blockOrServer, .exactly(1), .multiple) { d, state throws(ConfigError) in
            try state.scope.accessRules = (state.scope.accessRules ?? []) + [accessRule(d, allow: false)]
        },
        DirectiveSpec("resolver", .blockOrServer, .atLeast(1)) { d, state throws(ConfigError) in
            state.scope.resolver = try resolver(d)
        },
        DirectiveSpec("log_format", .block, .atLeast(2), .multiple) { d, state throws(ConfigError) in
            let name = d.args[0]
            guard formatNamed(name, in: state.tcp.logFormats) == nil else {
                throw d.error("duplicate \"log_format\" name \"\(name)\"")
            }
            state.tcp.logFormats[name] = d.args.dropFirst().joined()
        },
        DirectiveSpec("access_log", .blockOrServer, .range(1, 2)) { d, state throws(ConfigError) in
            state.scope.accessLog = try accessLog(d, formats: state.tcp.logFormats)
        },
    ]

    /// `allow|deny IPv4|CIDR|all`.
    static func accessRule(_ d: Directive, allow: Bool) throws(ConfigError) -> AccessRule {
        guard let rule = Addresses.accessRule(d.args[0], allow: allow) else {
            throw d.error("invalid parameter \"\(d.args[0])\"")
        }
        return rule
    }

    /// `resolver ADDRESS... [valid=TIME] [ipv6=on|off]`.
    static func resolver(_ d: Directive) throws(ConfigError) -> ResolverSetting {
        var setting = ResolverSetting(addresses: [], valid: nil, ipv6: true)
        for arg in d.args {
            if arg.hasPrefix("valid=") {
                guard let seconds = ConfigValue.seconds(String(arg.dropFirst(6))) else {
                    throw d.error("invalid parameter: \(arg)")
                }
                setting.valid = seconds * 1000
            } else if arg.hasPrefix("ipv6=") {
                guard let flag = ConfigValue.flag(String(arg.dropFirst(5))) else {
                    throw d.error("invalid parameter: \(arg)")
                }
                setting.ipv6 = flag
            } else {
                if let message = Addresses.resolverError(arg) { throw d.error(message) }
                setting.addresses.append(arg)
            }
        }
        guard !setting.addresses.isEmpty else { throw d.error("invalid number of arguments in \"resolver\" directive") }
        return setting
    }

    /// `access_log PATH|off [FORMAT]`; the format must be `combined` or defined earlier by `log_format`.
    static func accessLog(_ d: Directive, formats: [String: String]) throws(ConfigError) -> AccessLogSetting {
        if d.args[0] == "off" {
            guard d.args.count == 1 else { throw d.error("invalid parameter \"\(d.args[1])\"") }
            return .off
        }
        let name = d.args.count > 1 ? d.args[1] : "combined"
        guard let format = formatNamed(name, in: formats) else { throw d.error("unknown log format \"\(name)\"") }
        return .on(AccessLog(path: d.args[0], format: format))
    }

    /// Looks a format up by name, ignoring case as nginx does.
    static func formatNamed(_ name: String, in formats: [String: String]) -> String? {
        if let format = formats[name] { return format }
        return formats.first { $0.key.lowercased() == name.lowercased() }?.value
    }
}
