import Testing

@testable import Config

/// `allow` / `deny` rule lists.
@Suite struct AccessRuleTests {
    @Test func rulesKeepTheirOrder() throws {
        let s = try #require(try server("allow 127.0.0.1;\ndeny 10.0.0.0/8;\nallow 192.168.1.77/24;\ndeny all;"))
        #expect(
            s.accessRules == [
                AccessRule(allow: true, address: 0x7F00_0001, mask: 0xFFFF_FFFF),
                AccessRule(allow: false, address: 0x0A00_0000, mask: 0xFF00_0000),
                AccessRule(allow: true, address: 0xC0A8_0100, mask: 0xFFFF_FF00),
                AccessRule(allow: false, address: 0, mask: 0, all: true),
            ]
        )
    }

    @Test(arguments: [
        ("1.2.3.4/0", 0, 0), ("1.2.3.4/32", 0x0102_0304, 0xFFFF_FFFF), ("1.2.3.255/31", 0x0102_03FE, 0xFFFF_FFFE),
    ])
    func masks(text: String, address: UInt32, mask: UInt32) throws {
        #expect(Addresses.accessRule(text, allow: true) == AccessRule(allow: true, address: address, mask: mask))
    }

    @Test(arguments: [
        "x", "1.2.3", "1.2.3.4/", "1.2.3.4/a", "::g", "::1/129", "::1/", "1.2.3.4/8/8", "300.1.1.1", "1.2.3.4 ",
    ])
    func invalid(text: String) {
        #expect(Addresses.accessRule(text, allow: false) == nil)
    }

    @Test func matching() throws {
        let rule = try #require(Addresses.accessRule("10.1.0.0/16", allow: true))
        #expect(rule.matches(0x0A01_FFFF))
        #expect(!rule.matches(0x0A02_0000))
    }

    @Test func allMatchesEveryFamily() throws {
        let rule = try #require(Addresses.accessRule("all", allow: false))
        #expect(rule.all && rule.matches(0x0A01_FFFF) && rule.matches(ipv6: .init(hi: 0, lo: 1)))
        let zero = try #require(Addresses.accessRule("0.0.0.0/0", allow: false))
        #expect(zero.matches(0x0A01_FFFF) && !zero.matches(ipv6: .init(hi: 0, lo: 1)))
    }

    @Test(arguments: [
        ("::1", 0, 1, true), ("::1", 0, 2, false), ("2001:db8::/32", 0x2001_0db8_ffff_0000, 5, true),
        ("2001:db8::/32", 0x2001_0db9_0000_0000, 0, false), ("::/0", 0xffff_0000_0000_0000, 7, true),
        ("2001:db8::1:0/112", 0x2001_0db8_0000_0000, 0x1_ffff, true),
        ("2001:db8::1:0/112", 0x2001_0db8_0000_0000, 0x2_0000, false),
    ])
    func ipv6Matching(text: String, hi: UInt64, lo: UInt64, matches: Bool) throws {
        let rule = try #require(Addresses.accessRule(text, allow: true))
        #expect(rule.matches(ipv6: .init(hi: hi, lo: lo)) == matches)
        #expect(!rule.matches(0x7F00_0001))  // an IPv6 rule never covers an IPv4 client
    }

    @Test func serverRulesReplaceBlockRules() throws {
        let s = try #require(try server("deny 1.1.1.1;", tcp: "allow 2.2.2.2; deny all;"))
        #expect(s.accessRules == [AccessRule(allow: false, address: 0x0101_0101, mask: 0xFFFF_FFFF)])
        let inherited = try #require(try server("", tcp: "allow 2.2.2.2; deny all;"))
        #expect(inherited.accessRules.map(\.allow) == [true, false])
    }
}
