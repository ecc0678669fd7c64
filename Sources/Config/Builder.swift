/// Applies parsed directives to the build state, checking each one against the directive table in the order
/// nginx's `ngx_conf_handler` does: known name, allowed here, `{` or `;` as the row says, argument count, repeats.
extension BuildState {
    /// Applies `directives` as the contents of a block of kind `context`.
    mutating func apply(_ directives: [Directive], in context: DirectiveContext) throws(ConfigError) {
        let outer = self.context
        self.context = context
        defer { self.context = outer }
        for directive in directives {
            try apply(directive)
        }
    }

    /// Checks one directive and runs its setter.
    mutating func apply(_ d: Directive) throws(ConfigError) {
        guard let spec = DirectiveTable.byName[d.name] else { throw d.error("unknown directive \"\(d.name)\"") }
        guard spec.contexts.contains(context) else { throw d.error("\"\(d.name)\" directive is not allowed here") }
        try Self.checkShape(d, spec.arity)
        switch spec.uniqueness {
        case .multiple:
            break
        case .perScope(let key):
            guard seen.insert(key).inserted else { throw d.slotError("is duplicate") }
        case .tcpWide(let key):
            guard tcpWideSeen.insert(key).inserted else { throw d.slotError("is duplicate") }
        }
        try spec.apply(d, &self)
        if DirectiveTable.notInEffect.contains(d.name) {
            warnings.append(ConfigWarning("\"\(d.name)\" directive is accepted but has no effect yet", at: d.location))
        }
    }

    /// Block versus `;`, then the argument count.
    static func checkShape(_ d: Directive, _ arity: Arity) throws(ConfigError) {
        let count = d.args.count
        let countOK: Bool
        switch arity {
        case .block, .luaBlock:
            let hasRightBlock = arity.isLuaBlock ? d.bodyLine != nil : d.block != nil
            guard hasRightBlock else { throw d.error("directive \"\(d.name)\" has no opening \"{\"") }
            countOK = count == (arity.isLuaBlock ? 1 : 0)
        case .exactly(let n):
            countOK = count == n
        case .range(let low, let high):
            countOK = (low...high).contains(count)
        case .atLeast(let n):
            countOK = count >= n
        }
        if !arity.isBlock && d.hasBlock {
            throw d.error("directive \"\(d.name)\" is not terminated by \";\"")
        }
        guard countOK else { throw d.error("invalid number of arguments in \"\(d.name)\" directive") }
    }

    /// Opens `tcp { }` or `stream { }` and applies its contents.
    mutating func enterBlock(_ d: Directive, stream: Bool) throws(ConfigError) {
        if stream {
            streamBlock.present = true
        } else {
            tcpBlock.present = true
        }
        try apply(d.block ?? [], in: stream ? .stream : .tcp)
    }

    /// Builds one `server { }`; like nginx's stream module, a server needs a `listen`.
    mutating func enterServer(_ d: Directive) throws(ConfigError) {
        let isStream = context == .stream
        server = ServerDraft(location: d.location, isStream: isStream)
        try apply(d.block ?? [], in: isStream ? .streamServer : .tcpServer)
        guard let finished = server, !finished.listens.isEmpty else {
            throw d.error("no \"listen\" is defined for server")
        }
        servers.append(finished)
        server = nil
    }
}

/// Shape queries used by `checkShape`.
extension Arity {
    /// True for rows that take a `{ }` block (of directives or of Lua).
    var isBlock: Bool {
        switch self {
        case .block, .luaBlock: true
        default: false
        }
    }

    /// True for `*_by_lua_block` rows.
    var isLuaBlock: Bool {
        if case .luaBlock = self { return true }
        return false
    }
}
