import Testing

@testable import Config

/// One configuration that must fail, and nginx's message for it.
struct ErrorCase: Sendable, CustomTestStringConvertible {
    let config: String
    let message: String
    var testDescription: String { message }
    init(_ config: String, _ message: String) {
        self.config = config
        self.message = message
    }
}

/// Every semantic error, with its exact text and file:line.
@Suite struct ErrorMessageTests {
    static let cases: [ErrorCase] = [
        .init("daemon off;\nfoo bar;", #"unknown directive "foo" in conf/tcplua.conf:2"#),
        .init("listen 80;", #""listen" directive is not allowed here in conf/tcplua.conf:1"#),
        .init(
            "tcp {\n  lua_package_path x;\n  server {\n    lua_package_path y;\n  }\n}",
            #""lua_package_path" directive is not allowed here in conf/tcplua.conf:4"#
        ),
        .init(
            "tcp { server { listen 1; server { } } }",
            #""server" directive is not allowed here in conf/tcplua.conf:1"#
        ),
        .init("events { daemon off; }", #""daemon" directive is not allowed here in conf/tcplua.conf:1"#),
        .init(
            "tcp {\n server {\n  listen;\n }\n}",
            #"invalid number of arguments in "listen" directive in conf/tcplua.conf:3"#
        ),
        .init("daemon on off;", #"invalid number of arguments in "daemon" directive in conf/tcplua.conf:1"#),
        .init("tcp {\n server;\n}", #"directive "server" has no opening "{" in conf/tcplua.conf:2"#),
        .init("tcp x { }", #"invalid number of arguments in "tcp" directive in conf/tcplua.conf:1"#),
        .init("daemon off { }", #"directive "daemon" is not terminated by ";" in conf/tcplua.conf:1"#),
        .init("tcp {\n}\n\ntcp {\n}", #""tcp" directive is duplicate in conf/tcplua.conf:4"#),
        .init("stream { }\nstream { }", #""stream" directive is duplicate in conf/tcplua.conf:2"#),
        .init("daemon on;\ndaemon off;", #""daemon" directive is duplicate in conf/tcplua.conf:2"#),
        .init(
            "tcp {\n lua_code_cache x;\n}",
            #"invalid value "x" in "lua_code_cache" directive, it must be "on" or "off" in conf/tcplua.conf:2"#
        ),
        .init(
            "tcp { lua_code_cache on; lua_code_cache off; }",
            #""lua_code_cache" directive is duplicate in conf/tcplua.conf:1"#
        ),
        .init("tcp {\n read_timeout 8k;\n}", #""read_timeout" directive invalid value in conf/tcplua.conf:2"#),
        .init(
            "tcp { client_max_body_size 1x; }",
            #""client_max_body_size" directive invalid value in conf/tcplua.conf:1"#
        ),
        .init(
            "tcp { lua_socket_pool_size -1; }",
            #""lua_socket_pool_size" directive invalid number in conf/tcplua.conf:1"#
        ),
        .init("worker_processes many;", #""worker_processes" directive invalid value in conf/tcplua.conf:1"#),
        .init("tcp {\n\n lua_shared_dict d 4k;\n}", #"invalid lua shared dict size "4k" in conf/tcplua.conf:3"#),
        .init("tcp { lua_shared_dict d 8191; }", #"invalid lua shared dict size "8191" in conf/tcplua.conf:1"#),
        .init("tcp { lua_shared_dict d lots; }", #"invalid lua shared dict size "lots" in conf/tcplua.conf:1"#),
        .init("stream { lua_shared_dict d 1k; }", #"invalid lua shared dict size "1k" in conf/tcplua.conf:1"#),
        .init("tcp { lua_shared_dict d 17g; }", #"invalid lua shared dict size "17g" in conf/tcplua.conf:1"#),
        .init(
            "tcp {\n lua_shared_dict d 8k;\n}\nstream {\n lua_shared_dict d 1m;\n}",
            #"the size 1048576 of shared memory zone "d" conflicts with already declared size 8192 at conf/tcplua.conf:2 in conf/tcplua.conf:5"#
        ),
        .init(
            "tcp { lua_shared_dict d 8k; }\nstream { lua_shared_dict d 8k; }",
            #"lua_shared_dict "d" is already defined at conf/tcplua.conf:1 in conf/tcplua.conf:2"#
        ),
        .init(
            "tcp { lua_shared_dict d 8k; lua_shared_dict d 16k; }",
            #"the size 16384 of shared memory zone "d" conflicts with already declared size 8192 at conf/tcplua.conf:1 in conf/tcplua.conf:1"#
        ),
        .init(
            "tcp {\n server { listen 6666; }\n server {\n  listen 0.0.0.0:6666;\n }\n}",
            #"duplicate listen 0.0.0.0:6666 in conf/tcplua.conf:4"#
        ),
        .init(
            "tcp { server { listen 6666; listen *:6666; } }",
            #"duplicate listen 0.0.0.0:6666 in conf/tcplua.conf:1"#
        ),
        .init(
            "tcp { server { listen 6666; } }\nstream {\n server { listen 6666; } }",
            #"duplicate listen 0.0.0.0:6666 in conf/tcplua.conf:3"#
        ),
        .init(
            "tcp {\n server {\n  protocol tcp_lua;\n }\n}",
            #"no "listen" is defined for server in conf/tcplua.conf:2"#
        ),
        .init("tcp { server { listen 1; protocol http; } }", #"unknown protocol "http" in conf/tcplua.conf:1"#),
        .init(
            "tcp { server { listen 1; protocol demo; protocol demo; } }",
            #""protocol" directive is duplicate in conf/tcplua.conf:1"#
        ),
        .init(
            "tcp { server { listen 1; process_by_lua 'a()'; process_by_lua_file x.lua; } }",
            #""process_by_lua_file" directive is duplicate in conf/tcplua.conf:1"#
        ),
        .init(
            "tcp { server { listen 1; content_by_lua_block { } process_by_lua 'x'; } }",
            #""process_by_lua" directive is duplicate in conf/tcplua.conf:1"#
        ),
        .init(
            "tcp { init_by_lua 'a()'; }\nstream { init_by_lua_block { b() } }",
            #""init_by_lua_block" directive is duplicate in conf/tcplua.conf:2"#
        ),
        .init(
            "tcp { lua_package_path a; }\nstream { lua_package_path b; }",
            #""lua_package_path" directive is duplicate in conf/tcplua.conf:2"#
        ),
        .init(
            "tcp { server { listen 1; process_by_lua ''; } }",
            #"invalid location config: no runnable Lua code in conf/tcplua.conf:1"#
        ),
        .init("tcp {\n access_log logs/a.log main;\n}", #"unknown log format "main" in conf/tcplua.conf:2"#),
        .init(
            "tcp {\n log_format combined '$msec';\n}",
            #"duplicate "log_format" name "combined" in conf/tcplua.conf:2"#
        ),
        .init("tcp { log_format m a; log_format m b; }", #"duplicate "log_format" name "m" in conf/tcplua.conf:1"#),
        .init("tcp { access_log off x; }", #"invalid parameter "x" in conf/tcplua.conf:1"#),
        .init("tcp { access_log a; access_log b; }", #""access_log" directive is duplicate in conf/tcplua.conf:1"#),
        .init("tcp {\n allow x;\n}", #"invalid parameter "x" in conf/tcplua.conf:2"#),
        .init("tcp { deny 10.0.0.0/33; }", #"invalid parameter "10.0.0.0/33" in conf/tcplua.conf:1"#),
        .init("error_log logs/e.log loud;", #"invalid log level "loud" in conf/tcplua.conf:1"#),
        .init("error_log logs/e.log info warn;", #"duplicate log level "warn" in conf/tcplua.conf:1"#),
        .init("events { use kqueue; }", #"invalid event type "kqueue" in conf/tcplua.conf:1"#),
        .init(
            "tcp { resolver valid=10s; }",
            #"invalid number of arguments in "resolver" directive in conf/tcplua.conf:1"#
        ),
        .init("tcp { resolver 8.8.8.8 valid=x; }", #"invalid parameter: valid=x in conf/tcplua.conf:1"#),
        .init("tcp { resolver 8.8.8.8 ipv6=maybe; }", #"invalid parameter: ipv6=maybe in conf/tcplua.conf:1"#),
        .init("tcp { resolver dns.example; }", #"host not found in resolver "dns.example" in conf/tcplua.conf:1"#),
        .init("tcp { resolver 1.2.3.4:0; }", #"invalid port in resolver "1.2.3.4:0" in conf/tcplua.conf:1"#),
    ]

    @Test(arguments: cases)
    func message(_ errorCase: ErrorCase) {
        #expect(errorText { () throws(ConfigError) in try load(errorCase.config) } == errorCase.message)
    }

    @Test func errorCarriesMessageAndLocation() {
        do {
            _ = try load("\n\nfoo;")
            Issue.record("expected an error")
        } catch {
            #expect(error.message == #"unknown directive "foo""#)
            #expect(error.location == at(3))
        }
    }
}
