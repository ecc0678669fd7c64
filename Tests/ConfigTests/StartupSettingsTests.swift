import Testing

@testable import Config

/// What loading reports besides the model: warnings for directives not in effect, `user`, and `$prefix` in the
/// Lua package paths.
struct StartupSettingsTests {
    @Test func warnsForEachDirectiveAcceptedButNotInEffect() throws {
        let config = try load(
            """
            events { multi_accept on; }
            tcp {
                lua_load_resty_core on;
                server { listen 1; server_name x; read_timeout 1s; }
            }
            """,
            overrides: "env X;"
        )
        #expect(
            config.warnings.map(\.description) == [
                "\"env\" directive is accepted but has no effect yet in command line",
                "\"multi_accept\" directive is accepted but has no effect yet in conf/tcplua.conf:1",
                "\"lua_load_resty_core\" directive is accepted but has no effect yet in conf/tcplua.conf:3",
                "\"server_name\" directive is accepted but has no effect yet in conf/tcplua.conf:4",
            ]
        )
    }

    @Test func noWarningsForDirectivesInEffect() throws {
        #expect(try load("tcp { server { listen 1; read_timeout 1s; access_log off; } }").warnings == [])
        let cosockets = "resolver 127.0.0.1; resolver_timeout 1s; lua_socket_pool_size 4; lua_socket_read_timeout 1s;"
        #expect(try load("tcp { server { listen 1; \(cosockets) } }").warnings == [])
    }

    @Test func userWithAndWithoutGroup() throws {
        #expect(try load("").user == nil)
        #expect(try load("user nobody;").user == UserSetting(user: "nobody", location: at(1)))
        #expect(try load("\nuser www data;").user == UserSetting(user: "www", group: "data", location: at(2)))
        #expect(
            errorText { () throws(ConfigError) in try load("user a b c;") }
                == "invalid number of arguments in \"user\" directive in conf/tcplua.conf:1"
        )
        #expect(
            errorText { () throws(ConfigError) in try load("tcp { user a; }") }
                == "\"user\" directive is not allowed here in conf/tcplua.conf:1"
        )
    }

    @Test(arguments: [
        ("$prefix/lua/?.lua;;", "/srv/app//lua/?.lua;;"),
        ("${prefix}lua/?.lua;$prefix?.lua", "/srv/app/lua/?.lua;/srv/app/?.lua"),
        ("/abs/?.lua", "/abs/?.lua"),
    ])
    func prefixInPackagePaths(written: String, expanded: String) {
        var tcp = TcpConfig()
        #expect(tcp.packagePath(prefix: "/srv/app/") == nil)
        tcp.packagePath = written
        tcp.packageCPath = written
        #expect(tcp.packagePath(prefix: "/srv/app/") == expanded)
        #expect(tcp.packageCPath(prefix: "/srv/app/") == expanded)
    }
}
