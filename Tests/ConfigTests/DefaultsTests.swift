import Testing

@testable import Config

/// Defaults of every model value when nothing is configured.
@Suite struct DefaultsTests {
    @Test func emptyConfig() throws {
        let config = try load("")
        #expect(config.workerProcesses == 1)
        #expect(config.daemon == true)
        #expect(config.pidPath == "logs/tcplua.pid")
        #expect(config.errorLogs == [LogTarget(path: "logs/error.log", level: .error)])
        #expect(config.masterProcess == true)
        #expect(config.workerConnections == 512)
        #expect(config.workerRlimitNofile == nil)
        #expect(config.env == [])
        #expect(config.eventMethod == nil && !config.multiAccept && !config.acceptMutex)
        #expect(config.hasTcpBlock == false)
        #expect(config.tcp.servers.isEmpty)
        #expect(config.tcp.packagePath == nil && config.tcp.packageCPath == nil)
        #expect(config.tcp.sharedDicts.isEmpty)
        #expect(config.tcp.initByLua == nil && config.tcp.initWorkerByLua == nil)
        #expect(config.tcp.logFormats == ["combined": AccessLog.combinedFormat])
        #expect(config.tcp.maxPendingTimers == 1024)
        #expect(config.tcp.maxRunningTimers == 256)
        #expect(config.tcp.regexCacheMaxEntries == 1024)
        #expect(config.tcp.regexMatchLimit == 0)
    }

    @Test func serverDefaults() throws {
        let s = try #require(try server(""))
        #expect(s.protocolName == "tcp_lua")
        #expect(s.handler == nil && s.demoEcho == nil)
        #expect(s.readTimeout == 60_000 && s.sendTimeout == 60_000)
        #expect(s.keepaliveTimeout == nil)
        #expect(s.codeCache == true)
        #expect(s.socketConnectTimeout == 60_000 && s.socketSendTimeout == 60_000)
        #expect(s.socketReadTimeout == 60_000 && s.socketKeepaliveTimeout == 60_000)
        #expect(s.socketSendLowat == 0 && s.socketPoolSize == 30 && s.socketBufferSize == 4096)
        #expect(s.socketLogErrors == true && s.checkClientAbort == false)
        #expect(s.resolvers == [] && s.resolverValid == nil && s.resolverIPv6 && s.resolverTimeout == 30_000)
        #expect(s.accessRules == [])
        #expect(s.errorLogs == [LogTarget(path: "logs/error.log", level: .error)])
        #expect(
            s.accessLog
                == AccessLog(
                    path: "logs/access_tcp.log",
                    format: "$remote_addr $time_iso8601 $msec $request_time $connection $connection_requests $protocol"
                )
        )
        #expect(s.clientMaxBodySize == 1024 && s.connectionPoolSize == 512 && s.sessionPoolSize == 1024)
        #expect(s.tcpNodelay == true && s.soKeepalive == false)
        #expect(s.prereadTimeout == 30_000 && s.proxyTimeout == 600_000)
        #expect(s.location == at(3))
        #expect(s.isStream == false)
    }

    @Test func mainDirectives() throws {
        let config = try load(
            """
            worker_processes auto;
            daemon off;
            master_process off;
            pid run/t.pid;
            error_log stderr info;
            error_log logs/debug.log debug_tcp debug_core;
            worker_rlimit_nofile 65535;
            env TZ;
            env LUA_PATH=/x;
            events {
                worker_connections 2048;
                use epoll;
                multi_accept on;
                accept_mutex on;
            }
            """
        )
        #expect(config.workerProcesses == 0)
        #expect(config.daemon == false && config.masterProcess == false)
        #expect(config.pidPath == "run/t.pid")
        #expect(
            config.errorLogs == [
                LogTarget(path: "stderr", level: .info), LogTarget(path: "logs/debug.log", level: .debug),
            ]
        )
        #expect(config.workerRlimitNofile == 65535)
        #expect(config.env == ["TZ", "LUA_PATH=/x"])
        #expect(config.workerConnections == 2048)
        #expect(config.eventMethod == "epoll" && config.multiAccept && config.acceptMutex)
        #expect(try load("worker_processes 4;").workerProcesses == 4)
    }

    @Test func everyServerDirective() throws {
        let s = try #require(
            try server(
                """
                protocol demo;
                demo_echo "pong";
                server_name a b;
                read_timeout 5s; send_timeout 6s; keepalive_timeout 7s;
                lua_socket_connect_timeout 1s; lua_socket_send_timeout 2s;
                lua_socket_read_timeout 3s; lua_socket_keepalive_timeout 4s;
                lua_socket_send_lowat 1k; lua_socket_pool_size 10; lua_socket_buffer_size 8k;
                lua_socket_log_errors off; lua_check_client_abort on;
                resolver 8.8.8.8 10.0.0.1:5353 valid=30s ipv6=off; resolver_timeout 5s;
                error_log logs/s.log warn;
                access_log logs/s_access.log;
                client_max_body_size 4k; connection_pool_size 0.5k; session_pool_size 2k;
                tcp_nodelay off; so_keepalive on; preread_timeout 3s; proxy_timeout 1m;
                """
            )
        )
        #expect(s.protocolName == "demo" && s.demoEcho == "pong" && s.serverNames == ["a", "b"])
        #expect([s.readTimeout, s.sendTimeout, s.keepaliveTimeout] == [5000, 6000, 7000])
        #expect(
            [s.socketConnectTimeout, s.socketSendTimeout, s.socketReadTimeout, s.socketKeepaliveTimeout] == [
                1000, 2000, 3000, 4000,
            ]
        )
        #expect([s.socketSendLowat, s.socketPoolSize, s.socketBufferSize] == [1024, 10, 8192])
        #expect(!s.socketLogErrors && s.checkClientAbort)
        #expect(s.resolvers == ["8.8.8.8", "10.0.0.1:5353"] && s.resolverValid == 30_000 && !s.resolverIPv6)
        #expect(s.resolverTimeout == 5000)
        #expect(s.errorLogs == [LogTarget(path: "logs/s.log", level: .warn)])
        #expect(s.accessLog == AccessLog(path: "logs/s_access.log", format: AccessLog.combinedFormat))
        #expect([s.clientMaxBodySize, s.connectionPoolSize, s.sessionPoolSize] == [4096, 512, 2048])
        #expect(!s.tcpNodelay && s.soKeepalive && s.prereadTimeout == 3000 && s.proxyTimeout == 60_000)
    }

    @Test func tcpLevelLuaDirectives() throws {
        let config = try load(
            """
            tcp {
                lua_package_path '/a/?.lua;;';
                lua_package_cpath "/b/?.so;;";
                lua_shared_dict one 8k;
                lua_shared_dict two 1m;
                init_by_lua_file conf/init.lua;
                init_worker_by_lua_file /abs/worker.lua;
                lua_regex_cache_max_entries 10; lua_regex_match_limit 20;
                lua_max_pending_timers 30; lua_max_running_timers 40;
                lua_load_resty_core off;
            }
            """
        )
        let tcp = config.tcp
        #expect(config.hasTcpBlock)
        #expect(tcp.packagePath == "/a/?.lua;;" && tcp.packageCPath == "/b/?.so;;")
        #expect(
            tcp.sharedDicts == [
                LuaShareDictDecl(name: "one", size: 8192, location: at(4)),
                LuaShareDictDecl(name: "two", size: 1_048_576, location: at(5)),
            ]
        )
        #expect(tcp.initByLua == .file(path: "conf/init.lua", location: at(6)))
        #expect(tcp.initWorkerByLua == .file(path: "/abs/worker.lua", location: at(7)))
        #expect(
            [tcp.regexCacheMaxEntries, tcp.regexMatchLimit, tcp.maxPendingTimers, tcp.maxRunningTimers] == [
                10, 20, 30, 40,
            ]
        )
        #expect(tcp.loadRestyCore == false)
    }

    @Test func logFormatsConcatenate() throws {
        let config = try load(
            """
            tcp {
             log_format main '$remote_addr '
               '$msec' "-$protocol";
             server { listen 1; access_log logs/m.log main; }
             server { listen 2; access_log off; }
            }
            """
        )
        #expect(config.tcp.logFormats["main"] == "$remote_addr $msec-$protocol")
        #expect(config.tcp.logFormats["combined"] == AccessLog.combinedFormat)
        #expect(
            config.tcp.servers[0].accessLog == AccessLog(path: "logs/m.log", format: "$remote_addr $msec-$protocol")
        )
        #expect(config.tcp.servers[1].accessLog == nil)
    }

    @Test func accessLogIsOnInTcpAndOffInStream() throws {
        let config = try load(
            """
            tcp { server { listen 1; } }
            stream { server { listen 2; } server { listen 3; access_log logs/s.log; } }
            """
        )
        let logs = config.tcp.servers.map(\.accessLog)
        #expect(logs == [AccessLog(), nil, AccessLog(path: "logs/s.log")])
        let inherited = try load("stream { access_log logs/b.log; server { listen 4; } }")
        #expect(inherited.tcp.servers.map(\.accessLog) == [AccessLog(path: "logs/b.log")])
    }

    @Test func acceptedNotInEffectNamesAreKnown() {
        let known = Set(DirectiveTable.names)
        for entry in DirectiveTable.acceptedNotInEffect {
            let name = String(entry.split(separator: " ")[0])
            #expect(known.contains(name), "\(entry)")
        }
        #expect(DirectiveTable.acceptedNotInEffect.contains("lua_load_resty_core"))
        #expect(!DirectiveTable.acceptedNotInEffect.contains("listen"))
        #expect(!DirectiveTable.acceptedNotInEffect.contains("lua_shared_dict"))
    }

    @Test func tableRowsHaveUniqueNames() {
        let names = DirectiveTable.all.map(\.name)
        #expect(Set(names).count == names.count)
        #expect(DirectiveTable.names.count == names.count + 1)
        #expect(DirectiveTable.byName["content_by_lua_block"]?.contexts == .server)
        #expect(DirectiveTable.byName["lua_shared_dict"]?.contexts == .block)
    }

    @Test func parseFileAndLoadTextAgree() throws {
        let text = "tcp { server { listen 7; } }"
        let directives = try ConfigParser.parseFile(mainConf, prefix: testPrefix, fs: memoryFS(text))
        #expect(directives.first?.block?.first?.block?.first == Directive(name: "listen", args: ["7"], location: at(1)))
        let config = try ConfigLoader.load(text: text, file: mainConf, overrides: "daemon off;")
        #expect(config.tcp.servers.first?.listens.first?.port == 7)
        #expect(config.daemon == false)
    }
}
