/// Parsers for the address arguments of `listen`, `allow`/`deny` and `resolver` (IPv4 only, as the seed).
enum Addresses {
    /// A dotted quad (`10.0.0.1`, leading zeros allowed as in `ngx_inet_addr`) in host byte order.
    static func ipv4(_ text: some StringProtocol) -> UInt32? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var address: UInt32 = 0
        for part in parts {
            guard let octet = ConfigValue.number(String(part)), octet <= 255 else { return nil }
            address = address << 8 | UInt32(octet)
        }
        return address
    }

    /// Dotted-quad text for a host-order address.
    static func dottedQuad(_ address: UInt32) -> String {
        [24, 16, 8, 0].map { String(address >> UInt32($0) & 0xff) }.joined(separator: ".")
    }

    /// An `allow`/`deny` argument: `all`, an address, or `address/bits`; the address is masked.
    static func accessRule(_ text: String, allow: Bool) -> AccessRule? {
        if text == "all" { return AccessRule(allow: allow, address: 0, mask: 0) }
        let pieces = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let address = ipv4(pieces[0]) else { return nil }
        var mask = UInt32.max
        if pieces.count == 2 {
            guard let bits = ConfigValue.number(String(pieces[1])), bits <= 32 else { return nil }
            mask = bits == 0 ? 0 : UInt32.max << UInt32(32 - bits)
        }
        return AccessRule(allow: allow, address: address & mask, mask: mask)
    }

    /// Splits `host:port` / `port` for `listen`: returns the dotted-quad host and port, or the nginx error text.
    static func hostAndPort(_ text: String) -> Result<(host: String, port: UInt16), ConfigError> {
        func failure(_ what: String) -> Result<(host: String, port: UInt16), ConfigError> {
            .failure(ConfigError("\(what) in \"\(text)\" of the \"listen\" directive"))
        }
        if text.hasPrefix("[") || text.filter({ $0 == ":" }).count > 1 {
            return .failure(ConfigError("IPv6 is not supported yet in \"listen\" directive"))
        }
        if text.hasPrefix("unix:") {
            return .failure(ConfigError("unix domain sockets are not supported yet in \"listen\" directive"))
        }
        let host: String
        let portText: Substring
        if let colon = text.firstIndex(of: ":") {
            let name = text[..<colon]
            portText = text[text.index(after: colon)...]
            switch name {
            case "*": host = "0.0.0.0"
            case "localhost": host = "127.0.0.1"
            default:
                guard let address = ipv4(name) else { return failure("host not found") }
                host = dottedQuad(address)
            }
        } else {
            guard ConfigValue.number(text) != nil else { return failure("no port") }
            host = "0.0.0.0"
            portText = Substring(text)
        }
        guard let port = ConfigValue.number(String(portText)), port >= 1, port <= 65535 else {
            return failure("invalid port")
        }
        return .success((host, UInt16(port)))
    }

    /// Checks a `resolver` address: IPv4, `localhost` or `[IPv6]`, each with an optional `:port`; returns the
    /// nginx error text when invalid.
    static func resolverError(_ text: String) -> String? {
        var host = Substring(text)
        var port: Substring?
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return "host not found in resolver \"\(text)\"" }
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            if !rest.isEmpty {
                guard rest.hasPrefix(":") else { return "host not found in resolver \"\(text)\"" }
                port = rest.dropFirst()
            }
            guard !host.isEmpty, host.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }) else {
                return "host not found in resolver \"\(text)\""
            }
        } else {
            if let colon = text.firstIndex(of: ":") {
                host = text[..<colon]
                port = text[text.index(after: colon)...]
            }
            guard host == "localhost" || ipv4(host) != nil else { return "host not found in resolver \"\(text)\"" }
        }
        if let port {
            guard let value = ConfigValue.number(String(port)), value >= 1, value <= 65535 else {
                return "invalid port in resolver \"\(text)\""
            }
        }
        return nil
    }
}
