import Glibc

/// Parsers for the address arguments of `listen`, `allow`/`deny` and `resolver`.
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

    /// IPv6 text (no brackets) as 16 bytes, through `inet_pton`.
    static func ipv6Bytes(_ text: some StringProtocol) -> [UInt8]? {
        var bytes = [UInt8](repeating: 0, count: 16)
        let ok = String(text).withCString { inet_pton(AF_INET6, $0, &bytes) }
        return ok == 1 ? bytes : nil
    }

    /// The canonical text of 16 IPv6 bytes (`inet_ntop`: `::1`, `2001:db8::1`).
    static func ipv6Text(_ bytes: [UInt8]) -> String {
        var out = [CChar](repeating: 0, count: 64)
        _ = bytes.withUnsafeBytes { inet_ntop(AF_INET6, $0.baseAddress, &out, 64) }
        return String(decoding: out.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// An `allow`/`deny` argument: `all`, an address, or `address/bits` (IPv4 or IPv6); the address is masked.
    static func accessRule(_ text: String, allow: Bool) -> AccessRule? {
        if text == "all" { return AccessRule(allow: allow, address: 0, mask: 0, all: true) }
        if text.contains(":") { return ipv6Rule(text, allow: allow) }
        let pieces = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let address = ipv4(pieces[0]) else { return nil }
        var mask = UInt32.max
        if pieces.count == 2 {
            guard let bits = ConfigValue.number(String(pieces[1])), bits <= 32 else { return nil }
            mask = bits == 0 ? 0 : UInt32.max << UInt32(32 - bits)
        }
        return AccessRule(allow: allow, address: address & mask, mask: mask)
    }

    /// An IPv6 `allow`/`deny` argument: `addr` or `addr/bits` (0 to 128).
    private static func ipv6Rule(_ text: String, allow: Bool) -> AccessRule? {
        let pieces = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let bytes = ipv6Bytes(pieces[0]) else { return nil }
        var bits = 128
        if pieces.count == 2 {
            guard let n = ConfigValue.number(String(pieces[1])), n <= 128 else { return nil }
            bits = n
        }
        func half(_ n: Int) -> UInt64 { n <= 0 ? 0 : n >= 64 ? UInt64.max : UInt64.max << UInt64(64 - n) }
        let mask = IPv6Network.Bits(hi: half(bits), lo: half(bits - 64))
        let address = IPv6Network.Bits(bytes: bytes)
        let net = IPv6Network(
            address: IPv6Network.Bits(hi: address.hi & mask.hi, lo: address.lo & mask.lo),
            mask: mask
        )
        return AccessRule(allow: allow, address: 0, mask: 0, ipv6: net)
    }

    /// Splits `host:port` / `port` / `[ipv6]:port` / `unix:/path` for `listen`: returns the host (dotted
    /// quad, canonical IPv6 text, or the path), the port (0 for unix) and the family, or nginx's error text.
    static func hostAndPort(
        _ text: String
    ) -> Result<(host: String, port: UInt16, family: ListenFamily), ConfigError> {
        typealias R = Result<(host: String, port: UInt16, family: ListenFamily), ConfigError>
        func failure(_ what: String) -> R {
            .failure(ConfigError("\(what) in \"\(text)\" of the \"listen\" directive"))
        }
        if text.hasPrefix("unix:") {
            let path = String(text.dropFirst(5))
            guard !path.isEmpty else {
                return .failure(ConfigError("no path in the unix domain socket \"\(text)\""))
            }
            guard path.utf8.count < 108 else {
                return .failure(ConfigError("too long path in the unix domain socket \"\(text)\""))
            }
            return .success((path, 0, .unix))
        }
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"),
                let bytes = ipv6Bytes(text[text.index(after: text.startIndex)..<close])
            else { return failure("invalid host") }
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else { return failure("no port") }
            guard let port = ConfigValue.number(String(rest.dropFirst())), port >= 1, port <= 65535 else {
                return failure("invalid port")
            }
            return .success((ipv6Text(bytes), UInt16(port), .ipv6))
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
        return .success((host, UInt16(port), .ipv4))
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
