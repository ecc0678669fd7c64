/// The merge step (nginx's `merge_srv_conf`): each server takes what it does not set from its `tcp`/`stream`
/// block, then the defaults of `ServerConfig`; error logs fall back to the main ones.
extension BuildState {
    /// Produces the final configuration.
    func finish() -> MainConfig {
        var main = self.main
        if !mainErrorLogs.isEmpty { main.errorLogs = mainErrorLogs }
        var tcp = self.tcp
        tcp.servers = servers.map { draft in
            let parent = draft.isStream ? streamBlock.settings : tcpBlock.settings
            return Self.serverConfig(draft, settings: draft.settings.inheriting(from: parent), main: main)
        }
        main.tcp = tcp
        main.hasTcpBlock = tcpBlock.present || streamBlock.present
        main.warnings = warnings
        return main
    }

    /// A finished server from its draft and its merged settings.
    static func serverConfig(_ draft: ServerDraft, settings s: ScopeSettings, main: MainConfig) -> ServerConfig {
        var c = ServerConfig()
        c.listens = draft.listens
        c.protocolName = draft.protocolName ?? c.protocolName
        c.handler = draft.handler
        c.preread = draft.preread
        c.logHandler = draft.logHandler
        c.demoEcho = draft.demoEcho
        c.serverNames = draft.serverNames
        c.location = draft.location
        c.isStream = draft.isStream
        c.readTimeout = s.readTimeout ?? c.readTimeout
        c.sendTimeout = s.sendTimeout ?? c.sendTimeout
        c.keepaliveTimeout = s.keepaliveTimeout
        c.codeCache = s.codeCache ?? c.codeCache
        c.socketConnectTimeout = s.socketConnectTimeout ?? c.socketConnectTimeout
        // The seed's cosockets default to `send_timeout`/`read_timeout`; `lua_socket_*` wins where given.
        c.socketSendTimeout = s.socketSendTimeout ?? s.sendTimeout ?? c.socketSendTimeout
        c.socketReadTimeout = s.socketReadTimeout ?? s.readTimeout ?? c.socketReadTimeout
        c.socketKeepaliveTimeout = s.socketKeepaliveTimeout ?? c.socketKeepaliveTimeout
        c.socketSendLowat = s.socketSendLowat ?? c.socketSendLowat
        c.socketPoolSize = s.socketPoolSize ?? c.socketPoolSize
        c.socketBufferSize = s.socketBufferSize ?? c.socketBufferSize
        c.socketLogErrors = s.socketLogErrors ?? c.socketLogErrors
        c.checkClientAbort = s.checkClientAbort ?? c.checkClientAbort
        if let resolver = s.resolver {
            c.resolvers = resolver.addresses
            c.resolverValid = resolver.valid
            c.resolverIPv6 = resolver.ipv6
        }
        c.resolverTimeout = s.resolverTimeout ?? c.resolverTimeout
        c.accessRules = s.accessRules ?? []
        c.errorLogs = s.errorLogs ?? main.errorLogs
        switch s.accessLog {
        case nil: c.accessLog = draft.isStream ? nil : AccessLog()  // nginx's stream module logs nothing by default
        case .off: c.accessLog = nil
        case .on(let log): c.accessLog = log
        }
        c.clientMaxBodySize = s.clientMaxBodySize ?? c.clientMaxBodySize
        c.connectionPoolSize = s.connectionPoolSize ?? c.connectionPoolSize
        c.sessionPoolSize = s.sessionPoolSize ?? c.sessionPoolSize
        c.tcpNodelay = s.tcpNodelay ?? c.tcpNodelay
        c.soKeepalive = s.soKeepalive ?? c.soKeepalive
        c.prereadTimeout = s.prereadTimeout ?? c.prereadTimeout
        c.proxyTimeout = s.proxyTimeout ?? c.proxyTimeout
        c.lingeringClose = s.lingeringClose ?? c.lingeringClose
        c.lingeringTime = s.lingeringTime ?? c.lingeringTime
        c.lingeringTimeout = s.lingeringTimeout ?? c.lingeringTimeout
        return c
    }
}

/// Inheritance of unset values from the enclosing block.
extension ScopeSettings {
    /// These settings with every unset value taken from `parent`; lists (rules, logs, resolver) are taken whole.
    func inheriting(from parent: ScopeSettings) -> ScopeSettings {
        var s = self
        s.readTimeout = readTimeout ?? parent.readTimeout
        s.sendTimeout = sendTimeout ?? parent.sendTimeout
        s.keepaliveTimeout = keepaliveTimeout ?? parent.keepaliveTimeout
        s.codeCache = codeCache ?? parent.codeCache
        s.socketConnectTimeout = socketConnectTimeout ?? parent.socketConnectTimeout
        s.socketSendTimeout = socketSendTimeout ?? parent.socketSendTimeout
        s.socketReadTimeout = socketReadTimeout ?? parent.socketReadTimeout
        s.socketKeepaliveTimeout = socketKeepaliveTimeout ?? parent.socketKeepaliveTimeout
        s.socketSendLowat = socketSendLowat ?? parent.socketSendLowat
        s.socketPoolSize = socketPoolSize ?? parent.socketPoolSize
        s.socketBufferSize = socketBufferSize ?? parent.socketBufferSize
        s.socketLogErrors = socketLogErrors ?? parent.socketLogErrors
        s.checkClientAbort = checkClientAbort ?? parent.checkClientAbort
        s.resolver = resolver ?? parent.resolver
        s.resolverTimeout = resolverTimeout ?? parent.resolverTimeout
        s.accessRules = accessRules ?? parent.accessRules
        s.errorLogs = errorLogs ?? parent.errorLogs
        s.accessLog = accessLog ?? parent.accessLog
        s.clientMaxBodySize = clientMaxBodySize ?? parent.clientMaxBodySize
        s.connectionPoolSize = connectionPoolSize ?? parent.connectionPoolSize
        s.sessionPoolSize = sessionPoolSize ?? parent.sessionPoolSize
        s.tcpNodelay = tcpNodelay ?? parent.tcpNodelay
        s.soKeepalive = soKeepalive ?? parent.soKeepalive
        s.prereadTimeout = prereadTimeout ?? parent.prereadTimeout
        s.proxyTimeout = proxyTimeout ?? parent.proxyTimeout
        s.lingeringClose = lingeringClose ?? parent.lingeringClose
        s.lingeringTime = lingeringTime ?? parent.lingeringTime
        s.lingeringTimeout = lingeringTimeout ?? parent.lingeringTimeout
        return s
    }
}
