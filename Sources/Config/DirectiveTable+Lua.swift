/// The Lua module's `tcp { }`/`stream { }`-level directives (`lua_package_path`, `lua_shared_dict`, `init_by_lua*`,
/// regex and timer limits) and the content handlers `process_by_lua*` (seed) / `content_by_lua*` (OpenResty).
extension DirectiveTable {
    static let luaDirectives: [DirectiveSpec] =
        [
            DirectiveSpec("lua_package_path", .block, .exactly(1), .tcpWide("lua_package_path")) {
                d,
                state throws(ConfigError) in state.tcp.packagePath = d.args[0]
            },
            DirectiveSpec("lua_package_cpath", .block, .exactly(1), .tcpWide("lua_package_cpath")) {
                d,
                state throws(ConfigError) in state.tcp.packageCPath = d.args[0]
            },
            DirectiveSpec("lua_shared_dict", .block, .exactly(2), .multiple) { d, state throws(ConfigError) in
                try state.tcp.sharedDicts.append(sharedDict(d, existing: state.tcp.sharedDicts))
            },
            DirectiveSpec("lua_add_variable", .block, .exactly(1), .multiple) { d, state throws(ConfigError) in
                let v = d.args[0]
                guard v.hasPrefix("$"), v.count > 1 else { throw d.error("invalid variable name \"\(v)\"") }
                let name = String(v.dropFirst())
                if !state.tcp.addedVariables.contains(name) { state.tcp.addedVariables.append(name) }
            },
            .tcpNumber("lua_regex_cache_max_entries", \.regexCacheMaxEntries),
            .tcpNumber("lua_regex_match_limit", \.regexMatchLimit),
            .tcpNumber("lua_max_pending_timers", \.maxPendingTimers),
            .tcpNumber("lua_max_running_timers", \.maxRunningTimers),
            DirectiveSpec("lua_load_resty_core", .block, .exactly(1), .tcpWide("lua_load_resty_core")) {
                d,
                state throws(ConfigError) in state.tcp.loadRestyCore = try d.flag()
            },
        ]
        + luaPhase("init_by_lua", .block, .tcpWide("init_by_lua")) { state, source in state.tcp.initByLua = source }
        + luaPhase("init_worker_by_lua", .block, .tcpWide("init_worker_by_lua")) { state, source in
            state.tcp.initWorkerByLua = source
        }
        + luaPhase("process_by_lua", .server, .perScope("content handler")) { state, source in
            state.server?.handler = source
        }
        + luaPhase("content_by_lua", .server, .perScope("content handler")) { state, source in
            state.server?.handler = source
        }
        + luaPhase("preread_by_lua", .server, .perScope("preread handler")) { state, source in
            state.server?.preread = source
        }
        + luaPhase("log_by_lua", .server, .perScope("log handler")) { state, source in
            state.server?.logHandler = source
        }

    /// The three forms of a Lua phase directive (`stem`, `stem_file`, `stem_block`), sharing one repeat key.
    static func luaPhase(
        _ stem: String,
        _ contexts: DirectiveContext,
        _ uniqueness: Uniqueness,
        set: @escaping @Sendable (inout BuildState, LuaSource) -> Void
    ) -> [DirectiveSpec] {
        [
            DirectiveSpec(stem, contexts, .exactly(1), uniqueness) { d, state throws(ConfigError) in
                try set(&state, luaSource(d, stem: stem))
            },
            DirectiveSpec(stem + "_file", contexts, .exactly(1), uniqueness) { d, state throws(ConfigError) in
                try set(&state, luaSource(d, stem: stem))
            },
            DirectiveSpec(stem + "_block", contexts, .luaBlock, uniqueness) { d, state throws(ConfigError) in
                try set(&state, luaSource(d, stem: stem))
            },
        ]
    }

    /// The `LuaSource` of a phase directive; inline chunks are named `stem(basename:line)` as OpenResty does.
    static func luaSource(_ d: Directive, stem: String) throws(ConfigError) -> LuaSource {
        let value = d.args[d.args.count - 1]
        if d.bodyLine == nil && value.isEmpty {
            throw d.error("invalid location config: no runnable Lua code")
        }
        if d.name.hasSuffix("_file") { return .file(path: value, location: d.location) }
        let base = d.location.file.split(separator: "/").last.map(String.init) ?? d.location.file
        return .inline(
            code: value,
            chunkName: "\(stem)(\(base):\(d.location.line))",
            firstLine: d.bodyLine ?? d.argLines.last ?? d.location.line
        )
    }

    /// The largest zone the shared dict engine addresses (31-bit block sizes of 8-byte words).
    static let maxSharedDictSize = 1 << 34

    /// `lua_shared_dict NAME SIZE`: size more than 8191 bytes (and at most 16g), names unique; OpenResty's
    /// messages, with where the first declaration is.
    static func sharedDict(_ d: Directive, existing: [LuaShareDictDecl]) throws(ConfigError) -> LuaShareDictDecl {
        let name = d.args[0]
        guard !name.isEmpty else { throw d.error("invalid lua shared dict name \"\(name)\"") }
        guard let size = ConfigValue.size(d.args[1]), size > 8191, size <= maxSharedDictSize else {
            throw d.error("invalid lua shared dict size \"\(d.args[1])\"")
        }
        if let previous = existing.first(where: { $0.name == name }) {
            if previous.size != size {
                throw d.error(
                    "the size \(size) of shared memory zone \"\(name)\" conflicts with already declared size "
                        + "\(previous.size) at \(previous.location)"
                )
            }
            throw d.error("lua_shared_dict \"\(name)\" is already defined at \(previous.location)")
        }
        return LuaShareDictDecl(name: name, size: size, location: d.location)
    }
}
