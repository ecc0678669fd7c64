import Testing

@testable import Config

/// `*_by_lua_block { ... }`: raw Lua bodies with Lua-aware brace matching.
@Suite struct LuaBlockTests {
    /// The body of the single `content_by_lua_block` inside `text`.
    func body(_ text: String) throws -> String {
        let directives = try parse("content_by_lua_block {\(text)}\nnext;")
        #expect(directives.count == 2)
        #expect(directives[1].name == "next")
        return try #require(directives.first?.args.first)
    }

    @Test(arguments: [
        " ngx.say('hi') ",
        " local t = { a = { 1, 2 } } ",
        " ngx.say(\"}\") ngx.say('}') ",
        " ngx.say(\"\\\"}\") ngx.say('\\'}') ",
        " local s = [[ } ]] local u = [==[ ]] } ]=] ]==] ",
        " -- } comment\n ngx.say(1)\n",
        " --[[ } \n } ]] x = 1 ",
        " --[=[ ]] } ]=] x = 2 ",
        " t = {} -- {\n",
        " a = b[c[1]] ",
        " s = 'a -- }' ",
        "",
    ])
    func bodiesAreKeptVerbatim(_ lua: String) throws {
        #expect(try body(lua) == lua)
    }

    @Test func bodyLineAndDirectiveLine() throws {
        let text = "tcp {\n  server {\n    content_by_lua_block\n    {\n      ngx.say('x')\n    }\n  }\n}\n"
        let directives = try parse(text)
        let block = try #require(directives.first?.block?.first?.block?.first)
        #expect(block.name == "content_by_lua_block")
        #expect(block.location == at(3))
        #expect(block.bodyLine == 4)
        #expect(block.block == nil)
        #expect(block.args == ["\n      ngx.say('x')\n    "])
    }

    @Test func linesAfterABlockCountBodyNewlines() throws {
        let directives = try parse("init_by_lua_block {\n  x = [[\n]]\n  -- c\n}\npid a;")
        #expect(directives[1].location == at(6))
    }

    @Test func unterminatedBlockIsAnError() {
        let message = errorText { () throws(ConfigError) in try parse("init_by_lua_block {\n  x = '}'\n") }
        #expect(message == #"unexpected end of file, expecting "}" in conf/tcplua.conf:3"#)
    }

    @Test func chunkNamesAndFirstLines() throws {
        let config = try load(
            """
            tcp {
                init_by_lua_block {
                    x = 1
                }
                init_worker_by_lua 'y = 2';
                server {
                    listen 1;
                    content_by_lua_block { ngx.say("hi") }
                }
                server {
                    listen 2;
                    process_by_lua
                        'ngx.exit()';
                }
            }
            """
        )
        #expect(
            config.tcp.initByLua
                == .inline(code: "\n        x = 1\n    ", chunkName: "init_by_lua(tcplua.conf:2)", firstLine: 2)
        )
        #expect(
            config.tcp.initWorkerByLua
                == .inline(code: "y = 2", chunkName: "init_worker_by_lua(tcplua.conf:5)", firstLine: 5)
        )
        #expect(
            config.tcp.servers[0].handler
                == .inline(code: #" ngx.say("hi") "#, chunkName: "content_by_lua(tcplua.conf:8)", firstLine: 8)
        )
        #expect(
            config.tcp.servers[1].handler
                == .inline(code: "ngx.exit()", chunkName: "process_by_lua(tcplua.conf:12)", firstLine: 13)
        )
    }

    @Test func unknownLuaBlockDirective() {
        let message = errorText { () throws(ConfigError) in try load("tcp {\n foo_by_lua_block { } }") }
        #expect(message == #"unknown directive "foo_by_lua_block" in conf/tcplua.conf:2"#)
    }

    @Test func luaBlockWithoutBraceOrWithArguments() {
        let noBrace = errorText { () throws(ConfigError) in try load("tcp { init_by_lua_block; }") }
        #expect(noBrace == #"directive "init_by_lua_block" has no opening "{" in conf/tcplua.conf:1"#)
        let extra = errorText { () throws(ConfigError) in try load("tcp { init_by_lua_block x { } }") }
        #expect(extra == #"invalid number of arguments in "init_by_lua_block" directive in conf/tcplua.conf:1"#)
    }
}
