/// `listen [ip:]port [backlog=N] [rcvbuf=SIZE] [sndbuf=SIZE] [deferred] [bind] [reuseport]
/// [so_keepalive=on|off|[idle]:[intvl]:[cnt]]`, the address IPv4, `[IPv6]` or `unix:/path`, with nginx's error texts.
extension Addresses {
    /// Parses the arguments of one `listen` directive.
    static func listen(_ directive: Directive) throws(ConfigError) -> ListenAddress {
        let address = directive.args[0]
        let endpoint: (host: String, port: UInt16, family: ListenFamily)
        switch hostAndPort(address) {
        case .success(let value): endpoint = value
        case .failure(var error):
            error.location = directive.location
            throw error
        }
        var listen = ListenAddress(host: endpoint.host, port: endpoint.port, location: directive.location)
        listen.family = endpoint.family
        for option in directive.args.dropFirst() {
            guard try apply(option, to: &listen) else {
                throw ConfigError("invalid parameter \"\(option)\"", at: directive.location)
            }
        }
        return listen
    }

    /// Applies one listen option; false when the option is unknown.
    private static func apply(_ option: String, to listen: inout ListenAddress) throws(ConfigError) -> Bool {
        func invalid(_ what: String) -> ConfigError {
            ConfigError("invalid \(what) \"\(option)\"", at: listen.location)
        }
        let parts = option.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
        let value = parts.count == 2 ? String(parts[1]) : nil
        switch (parts[0], value) {
        case ("deferred", nil): listen.deferred = true
        case ("bind", nil): listen.bind = true
        case ("reuseport", nil): listen.reuseport = true
        case ("backlog", let value?):
            guard let backlog = ConfigValue.number(value), backlog > 0 else { throw invalid("backlog") }
            listen.backlog = backlog
        case ("rcvbuf", let value?):
            guard let size = ConfigValue.size(value) else { throw invalid("rcvbuf") }
            listen.rcvbuf = size
        case ("sndbuf", let value?):
            guard let size = ConfigValue.size(value) else { throw invalid("sndbuf") }
            listen.sndbuf = size
        case ("so_keepalive", let value?):
            try soKeepalive(value, into: &listen)
        default:
            return false
        }
        return true
    }

    /// `so_keepalive=on|off|idle:intvl:cnt`; each of the three may be empty, not all zero.
    private static func soKeepalive(_ value: String, into listen: inout ListenAddress) throws(ConfigError) {
        let invalid = ConfigError("invalid so_keepalive value: \"\(value)\"", at: listen.location)
        switch value {
        case "on": listen.soKeepalive = true
        case "off": listen.soKeepalive = false
        default:
            let fields = value.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
            let idle = fields[0]
            let interval = fields.count > 1 ? fields[1] : ""
            let count = fields.count > 2 ? fields[2] : ""
            if !idle.isEmpty {
                guard let seconds = ConfigValue.seconds(idle) else { throw invalid }
                listen.keepaliveIdle = seconds
            }
            if !interval.isEmpty {
                guard let seconds = ConfigValue.seconds(interval) else { throw invalid }
                listen.keepaliveInterval = seconds
            }
            if !count.isEmpty {
                guard let number = ConfigValue.number(count) else { throw invalid }
                listen.keepaliveCount = number
            }
            let all = [listen.keepaliveIdle, listen.keepaliveInterval, listen.keepaliveCount].map { $0 ?? 0 }
            guard all.contains(where: { $0 != 0 }) else { throw invalid }
            listen.soKeepalive = true
        }
    }
}
