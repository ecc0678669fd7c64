import Testing

@testable import Config

/// The seed README's configuration example, copied verbatim, and OpenResty's `stream {}` form.
@Suite struct ExampleConfigTests {
    /// `config file example` from the seed README (nginx-tcp-lua-module-README.txt), verbatim.
    static let seedExample = """
            tcp {
                #...

                lua_package_path '/usr/local/nginx_tcp/conf/?.lua;/usr/local/nginx_tcp/conf/lua_module/?.lua;;';
                lua_package_cpath '/usr/local/nginx_tcp/conf/lua_module/?.so;;';

                lua_shared_dict db_lock 100m;

                init_by_lua_file 'conf/init_by_lua.lua';

                server {
                     listen 6666;

                     protocol tcp_lua;

                     process_by_lua_file 'conf/test.lua';

                     lua_socket_connect_timeout 10s;
                     lua_check_client_abort on; #default off

                     resolver 114.114.114.114;
                }
             }
        """

    @Test func seedExampleLoads() throws {
        let config = try load(Self.seedExample)
        #expect(config.hasTcpBlock)
        let tcp = config.tcp
        #expect(tcp.packagePath == "/usr/local/nginx_tcp/conf/?.lua;/usr/local/nginx_tcp/conf/lua_module/?.lua;;")
        #expect(tcp.packageCPath == "/usr/local/nginx_tcp/conf/lua_module/?.so;;")
        #expect(tcp.sharedDicts == [LuaShareDictDecl(name: "db_lock", size: 104_857_600, location: at(7))])
        #expect(tcp.initByLua == .file(path: "conf/init_by_lua.lua", location: at(9)))
        #expect(tcp.servers.count == 1)
        let server = tcp.servers[0]
        #expect(server.location == at(11))
        #expect(server.listens == [ListenAddress(host: "0.0.0.0", port: 6666, location: at(12))])
        #expect(server.protocolName == "tcp_lua")
        #expect(server.handler == .file(path: "conf/test.lua", location: at(16)))
        #expect(server.socketConnectTimeout == 10_000)
        #expect(server.checkClientAbort == true)
        #expect(server.resolvers == ["114.114.114.114"])
        #expect(server.codeCache == true)
        #expect(server.readTimeout == 60_000)
        #expect(server.isStream == false)
    }

    @Test func openRestyStreamConfigLoads() throws {
        let config = try load(#"stream { server { listen 127.0.0.1:1234; content_by_lua_block { ngx.say("hi") } } }"#)
        #expect(config.hasTcpBlock)
        let server = try #require(config.tcp.servers.first)
        #expect(config.tcp.servers.count == 1)
        #expect(server.isStream)
        #expect(server.listens.map(\.text) == ["127.0.0.1:1234"])
        #expect(server.protocolName == "tcp_lua")
        #expect(
            server.handler
                == .inline(code: #" ngx.say("hi") "#, chunkName: "content_by_lua(tcplua.conf:1)", firstLine: 1)
        )
    }

    @Test func tcpAndStreamServersAreMergedInOrder() throws {
        let config = try load(
            """
            stream { server { listen 2; content_by_lua_file a.lua; } }
            tcp { server { listen 1; process_by_lua_block { b() } } }
            """
        )
        #expect(config.tcp.servers.map { $0.listens[0].port } == [2, 1])
        #expect(config.tcp.servers.map(\.isStream) == [true, false])
        #expect(config.tcp.servers[0].handler == .file(path: "a.lua", location: at(1)))
    }
}
