import Testing

@testable import Config

/// The merge step: servers inherit tcp/stream-level values unless they set their own.
@Suite struct InheritanceTests {
    @Test func codeCacheOffIsInheritedAndOnOverrides() throws {
        let config = try load(
            """
            tcp {
                lua_code_cache off;
                server { listen 1; }
                server { listen 2; lua_code_cache on; }
                server { listen 3; lua_code_cache off; }
            }
            """
        )
        #expect(config.tcp.servers.map(\.codeCache) == [false, true, false])
    }

    @Test func blockValuesAfterTheServerStillApply() throws {
        let config = try load("tcp {\n server { listen 1; }\n read_timeout 5s;\n}")
        #expect(config.tcp.servers[0].readTimeout == 5000)
    }

    @Test func everyInheritableValue() throws {
        let s = try #require(
            try server(
                "",
                tcp: """
                    read_timeout 1s; send_timeout 2s; keepalive_timeout 3s; lua_socket_connect_timeout 4s;
                    lua_socket_pool_size 5; lua_check_client_abort on; resolver 1.1.1.1; resolver_timeout 6s;
                    error_log logs/tcp.log notice; access_log off; client_max_body_size 7k; tcp_nodelay off;
                    lua_socket_buffer_size 16k; lua_socket_log_errors off; lua_socket_send_lowat 2k;
                    lua_socket_read_timeout 8s; lua_socket_send_timeout 9s; lua_socket_keepalive_timeout 10s;
                    connection_pool_size 1k; session_pool_size 3k; so_keepalive on;
                    preread_timeout 11s; proxy_timeout 12s;
                    """
            )
        )
        #expect(
            [s.readTimeout, s.sendTimeout, s.keepaliveTimeout, s.socketConnectTimeout] == [1000, 2000, 3000, 4000]
        )
        #expect([s.socketReadTimeout, s.socketSendTimeout, s.socketKeepaliveTimeout] == [8000, 9000, 10_000])
        #expect(s.socketPoolSize == 5 && s.checkClientAbort && s.resolvers == ["1.1.1.1"] && s.resolverTimeout == 6000)
        #expect(s.errorLogs == [LogTarget(path: "logs/tcp.log", level: .notice)])
        #expect(s.accessLog == nil)
        #expect(s.clientMaxBodySize == 7168 && !s.tcpNodelay && s.socketBufferSize == 16384 && !s.socketLogErrors)
        #expect(s.socketSendLowat == 2048 && s.connectionPoolSize == 1024 && s.sessionPoolSize == 3072 && s.soKeepalive)
        #expect(s.prereadTimeout == 11_000 && s.proxyTimeout == 12_000)
    }

    @Test func errorLogsFallBackToMain() throws {
        let config = try load(
            """
            error_log logs/main.log warn;
            tcp {
                server { listen 1; }
                server { listen 2; error_log logs/two.log debug; error_log stderr; }
            }
            stream {
                error_log logs/stream.log info;
                server { listen 3; }
            }
            """
        )
        #expect(config.errorLogs == [LogTarget(path: "logs/main.log", level: .warn)])
        #expect(config.tcp.servers[0].errorLogs == [LogTarget(path: "logs/main.log", level: .warn)])
        #expect(
            config.tcp.servers[1].errorLogs == [
                LogTarget(path: "logs/two.log", level: .debug), LogTarget(path: "stderr", level: .error),
            ]
        )
        #expect(config.tcp.servers[2].errorLogs == [LogTarget(path: "logs/stream.log", level: .info)])
    }

    @Test func tcpAndStreamBlocksInheritSeparately() throws {
        let config = try load(
            """
            tcp { read_timeout 1s; server { listen 1; } }
            stream { read_timeout 2s; server { listen 2; } }
            """
        )
        #expect(config.tcp.servers.map(\.readTimeout) == [1000, 2000])
        #expect(config.tcp.servers.map(\.isStream) == [false, true])
    }

    @Test func resolverIsInheritedWhole() throws {
        let s = try #require(try server("", tcp: "resolver 1.1.1.1 valid=1m ipv6=off;"))
        #expect(s.resolvers == ["1.1.1.1"] && s.resolverValid == 60_000 && !s.resolverIPv6)
        let own = try #require(try server("resolver 2.2.2.2;", tcp: "resolver 1.1.1.1 valid=1m ipv6=off;"))
        #expect(own.resolvers == ["2.2.2.2"] && own.resolverValid == nil && own.resolverIPv6)
    }

    @Test func accessLogInherited() throws {
        let s = try #require(try server("", tcp: "log_format short '$msec'; access_log logs/x.log short;"))
        #expect(s.accessLog == AccessLog(path: "logs/x.log", format: "$msec"))
        let off = try #require(try server("access_log off;", tcp: "access_log logs/x.log;"))
        #expect(off.accessLog == nil)
    }
}
