/// Directives valid only in `server { }`: `listen`, `protocol`, `server_name`, `demo_echo`.
/// (The content handlers are in `DirectiveTable+Lua.swift`.)
extension DirectiveTable {
    /// The protocols a server may speak.
    static let protocols = ["tcp_lua", "demo"]

    static let serverDirectives: [DirectiveSpec] = [
        DirectiveSpec("listen", .server, .atLeast(1), .multiple) { d, state throws(ConfigError) in
            let listen = try Addresses.listen(d)
            guard state.listenTexts.insert(listen.text).inserted else {
                throw d.error("duplicate listen \(listen.text)")
            }
            state.server?.listens.append(listen)
        },
        DirectiveSpec("protocol", .server, .exactly(1)) { d, state throws(ConfigError) in
            guard protocols.contains(d.args[0]) else { throw d.error("unknown protocol \"\(d.args[0])\"") }
            state.server?.protocolName = d.args[0]
        },
        DirectiveSpec("server_name", .server, .atLeast(1)) { d, state throws(ConfigError) in
            state.server?.serverNames = d.args
        },
        DirectiveSpec("demo_echo", .server, .exactly(1)) { d, state throws(ConfigError) in
            state.server?.demoEcho = d.args[0]
        },
    ]
}
