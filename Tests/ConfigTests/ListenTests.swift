import Testing

@testable import Config

/// `listen` addresses and options.
@Suite struct ListenTests {
    /// The listens of one server with the given listen directives.
    func listens(_ lines: String) throws(ConfigError) -> [ListenAddress] {
        try load("tcp {\n  server {\n    \(lines)\n  }\n}").tcp.servers[0].listens
    }

    @Test(arguments: [
        ("6666", "0.0.0.0", 6666), ("*:80", "0.0.0.0", 80), ("127.0.0.1:1234", "127.0.0.1", 1234),
        ("localhost:9", "127.0.0.1", 9), ("010.0.0.1:1", "10.0.0.1", 1), ("1", "0.0.0.0", 1),
        ("65535", "0.0.0.0", 65535),
    ])
    func addresses(arg: String, host: String, port: Int) throws {
        let listen = try #require(try listens("listen \(arg);").first)
        #expect(listen.host == host)
        #expect(Int(listen.port) == port)
        #expect(listen.text == "\(host):\(port)")
        #expect(listen.location == at(3))
    }

    @Test(arguments: [
        ("[::]:6666", "::", 6666, "[::]:6666"), ("[::1]:80", "::1", 80, "[::1]:80"),
        ("[0:0::1]:9", "::1", 9, "[::1]:9"), ("[2001:DB8::1]:1", "2001:db8::1", 1, "[2001:db8::1]:1"),
    ])
    func ipv6(arg: String, host: String, port: Int, text: String) throws {
        let listen = try #require(try listens("listen \(arg) reuseport;").first)
        #expect(listen.family == .ipv6 && listen.host == host && Int(listen.port) == port)
        #expect(listen.text == text && listen.addressText == host && listen.reuseport)
    }

    @Test func unixSocket() throws {
        let listen = try #require(try listens("listen unix:/run/app.sock backlog=10;").first)
        #expect(listen.family == .unix && listen.host == "/run/app.sock" && listen.port == 0)
        #expect(listen.text == "unix:/run/app.sock" && listen.addressText == "unix:/run/app.sock")
        #expect(listen.backlog == 10)
    }

    @Test func defaults() throws {
        let listen = try listens("listen 6666;")[0]
        #expect(listen == ListenAddress(host: "0.0.0.0", port: 6666, location: at(3)))
        #expect(listen.backlog == 511)
        #expect(listen.rcvbuf == nil && listen.sndbuf == nil && listen.soKeepalive == nil)
        #expect(!listen.deferred && !listen.bind && !listen.reuseport)
    }

    @Test func allOptions() throws {
        let listen = try listens(
            "listen 10.1.2.3:7000 backlog=1024 rcvbuf=64k sndbuf=1m deferred bind reuseport so_keepalive=30m::10;"
        )[0]
        let expected = ListenAddress(
            host: "10.1.2.3",
            port: 7000,
            backlog: 1024,
            rcvbuf: 65536,
            sndbuf: 1_048_576,
            deferred: true,
            bind: true,
            reuseport: true,
            soKeepalive: true,
            keepaliveIdle: 1800,
            keepaliveInterval: nil,
            keepaliveCount: 10,
            location: at(3)
        )
        #expect(listen == expected)
    }

    @Test(arguments: [("on", true), ("off", false)])
    func soKeepaliveFlag(value: String, expected: Bool) throws {
        #expect(try listens("listen 1 so_keepalive=\(value);")[0].soKeepalive == expected)
    }

    @Test func soKeepaliveTriple() throws {
        let listen = try listens("listen 1 so_keepalive=60:10s:3;")[0]
        #expect(listen.keepaliveIdle == 60)
        #expect(listen.keepaliveInterval == 10)
        #expect(listen.keepaliveCount == 3)
    }

    @Test func severalListensInOneServer() throws {
        #expect(try listens("listen 1;\n listen 127.0.0.1:2;").map(\.text) == ["0.0.0.0:1", "127.0.0.1:2"])
    }

    @Test func sameportOnDifferentAddressesIsAllowed() throws {
        #expect(try listens("listen 127.0.0.1:5; listen 127.0.0.2:5;").count == 2)
    }

    @Test(arguments: [
        ("listen 99999;", #"invalid port in "99999" of the "listen" directive"#),
        ("listen 0;", #"invalid port in "0" of the "listen" directive"#),
        ("listen 127.0.0.1:99999;", #"invalid port in "127.0.0.1:99999" of the "listen" directive"#),
        ("listen 127.0.0.1:;", #"invalid port in "127.0.0.1:" of the "listen" directive"#),
        ("listen 127.0.0.1;", #"no port in "127.0.0.1" of the "listen" directive"#),
        ("listen example.com:80;", #"host not found in "example.com:80" of the "listen" directive"#),
        ("listen 1.2.3:80;", #"host not found in "1.2.3:80" of the "listen" directive"#),
        ("listen 256.0.0.1:80;", #"host not found in "256.0.0.1:80" of the "listen" directive"#),
        ("listen ::1:80;", #"host not found in "::1:80" of the "listen" directive"#),
        ("listen [::1];", #"no port in "[::1]" of the "listen" directive"#),
        ("listen [::1]:0;", #"invalid port in "[::1]:0" of the "listen" directive"#),
        ("listen [::g]:80;", #"invalid host in "[::g]:80" of the "listen" directive"#),
        ("listen [::1:80;", #"invalid host in "[::1:80" of the "listen" directive"#),
        ("listen unix:;", #"no path in the unix domain socket "unix:""#),
        ("listen 1 backlog=x;", #"invalid backlog "backlog=x""#),
        ("listen 1 backlog=0;", #"invalid backlog "backlog=0""#),
        ("listen 1 rcvbuf=big;", #"invalid rcvbuf "rcvbuf=big""#),
        ("listen 1 sndbuf=;", #"invalid sndbuf "sndbuf=""#),
        ("listen 1 so_keepalive=maybe;", #"invalid so_keepalive value: "maybe""#),
        ("listen 1 so_keepalive=0:0:0;", #"invalid so_keepalive value: "0:0:0""#),
        ("listen 1 so_keepalive=::x;", #"invalid so_keepalive value: "::x""#),
        ("listen 1 ssl;", #"invalid parameter "ssl""#),
        ("listen 1 deferred=1;", #"invalid parameter "deferred=1""#),
    ])
    func errors(line: String, message: String) {
        #expect(errorText { () throws(ConfigError) in try listens(line) } == message + " in conf/tcplua.conf:3")
    }
}
