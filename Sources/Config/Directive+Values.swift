/// Typed readers of a directive's arguments that fail with nginx's messages for the slot kind
/// (`ngx_conf_set_flag_slot`, `_msec_slot`, `_size_slot`, `_num_slot`).
extension Directive {
    /// An error at this directive.
    func error(_ message: String) -> ConfigError { ConfigError(message, at: location) }

    /// `"name" directive <what>`, the form nginx gives a slot's error string.
    func slotError(_ what: String) -> ConfigError { error("\"\(name)\" directive \(what)") }

    /// Argument `index` as `on`/`off`.
    func flag(_ index: Int = 0) throws(ConfigError) -> Bool {
        guard let value = ConfigValue.flag(args[index]) else {
            throw error("invalid value \"\(args[index])\" in \"\(name)\" directive, it must be \"on\" or \"off\"")
        }
        return value
    }

    /// Argument `index` as a time in milliseconds.
    func milliseconds(_ index: Int = 0) throws(ConfigError) -> Int {
        guard let value = ConfigValue.milliseconds(args[index]) else { throw slotError("invalid value") }
        return value
    }

    /// Argument `index` as a size in bytes.
    func size(_ index: Int = 0) throws(ConfigError) -> Int {
        guard let value = ConfigValue.size(args[index]) else { throw slotError("invalid value") }
        return value
    }

    /// Argument `index` as a non-negative integer.
    func number(_ index: Int = 0) throws(ConfigError) -> Int {
        guard let value = ConfigValue.number(args[index]) else { throw slotError("invalid number") }
        return value
    }
}

/// Row helpers for the common slot kinds, so most table rows are one line.
extension DirectiveSpec {
    /// An `on|off` setting of the current block or server.
    static func scopeFlag(
        _ name: String,
        _ key: ScopeKey<Bool>,
        _ contexts: DirectiveContext = .blockOrServer
    ) -> DirectiveSpec {
        DirectiveSpec(name, contexts, .exactly(1)) { d, state throws(ConfigError) in
            state.scope[keyPath: key] = try d.flag()
        }
    }

    /// A time setting (milliseconds) of the current block or server.
    static func scopeTime(
        _ name: String,
        _ key: ScopeKey<Int>,
        _ contexts: DirectiveContext = .blockOrServer
    ) -> DirectiveSpec {
        DirectiveSpec(name, contexts, .exactly(1)) { d, state throws(ConfigError) in
            state.scope[keyPath: key] = try d.milliseconds()
        }
    }

    /// A size setting (bytes) of the current block or server.
    static func scopeSize(
        _ name: String,
        _ key: ScopeKey<Int>,
        _ contexts: DirectiveContext = .blockOrServer
    ) -> DirectiveSpec {
        DirectiveSpec(name, contexts, .exactly(1)) { d, state throws(ConfigError) in
            state.scope[keyPath: key] = try d.size()
        }
    }

    /// A number setting of the current block or server.
    static func scopeNumber(
        _ name: String,
        _ key: ScopeKey<Int>,
        _ contexts: DirectiveContext = .blockOrServer
    ) -> DirectiveSpec {
        DirectiveSpec(name, contexts, .exactly(1)) { d, state throws(ConfigError) in
            state.scope[keyPath: key] = try d.number()
        }
    }

    /// A number setting of `tcp { }`/`stream { }` shared by both (once for the two).
    static func tcpNumber(_ name: String, _ key: TcpKey<Int>) -> DirectiveSpec {
        DirectiveSpec(name, .block, .exactly(1), .tcpWide(name)) { d, state throws(ConfigError) in
            state.tcp[keyPath: key] = try d.number()
        }
    }

    /// An `on|off` main-context setting.
    static func mainFlag(_ name: String, _ key: MainKey<Bool>, _ contexts: DirectiveContext = .main) -> DirectiveSpec {
        DirectiveSpec(name, contexts, .exactly(1)) { d, state throws(ConfigError) in
            state.main[keyPath: key] = try d.flag()
        }
    }
}
