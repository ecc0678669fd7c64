import Testing

@testable import Config

/// `include` with globs, locations inside included files, and `tcplua -T` dumps.
@Suite struct IncludeTests {
    let sites = [
        "conf/sites/b.conf": "server {\n    listen 2;\n}\n",
        "conf/sites/a.conf": "\nserver { listen 1; }\n",
        "conf/sites/readme.txt": "not a config",
        "conf/lua.conf": "lua_shared_dict cache 1m;\n",
    ]

    @Test func globExpandsSortedInPlace() throws {
        let directives = try parse(
            "tcp {\n    include lua.conf;\n    include sites/*.conf;\n}\n",
            extra: sites
        )
        let inner = try #require(directives.first?.block)
        #expect(inner.map(\.name) == ["lua_shared_dict", "server", "server"])
        #expect(inner[0].location == at(1, "conf/lua.conf"))
        #expect(inner[1].location == at(2, "conf/sites/a.conf"))
        #expect(inner[2].location == at(1, "conf/sites/b.conf"))
        #expect(inner[2].block?.first?.location == at(2, "conf/sites/b.conf"))
    }

    @Test func includedServersLoad() throws {
        let config = try load("tcp {\n    include lua.conf;\n    include sites/*.conf;\n}\n", extra: sites)
        #expect(config.tcp.servers.map { $0.listens.map(\.port) } == [[1], [2]])
        #expect(config.tcp.servers[1].location == at(1, "conf/sites/b.conf"))
        #expect(
            config.tcp.sharedDicts == [
                LuaShareDictDecl(name: "cache", size: 1_048_576, location: at(1, "conf/lua.conf"))
            ]
        )
    }

    @Test func globWithoutMatchesIsFine() throws {
        #expect(try parse("include none/*.conf;\npid x;").map(\.name) == ["pid"])
    }

    @Test func absolutePatternsAreShownAsWritten() throws {
        let directives = try parse("include /srv/tcplua/conf/sites/a*.conf;", extra: sites)
        #expect(directives.first?.location == at(2, "/srv/tcplua/conf/sites/a.conf"))
    }

    @Test func missingIncludeNamesTheIncludeDirective() {
        let message = errorText { () throws(ConfigError) in try load("\n\ninclude missing.conf;\n") }
        #expect(message == #"open() "conf/missing.conf" failed (2: No such file or directory) in conf/tcplua.conf:3"#)
    }

    @Test func missingMainFileHasNoLocation() {
        let message = errorText { () throws(ConfigError) in
            try ConfigLoader.load(path: mainConf, prefix: testPrefix, fs: memoryFS(nil))
        }
        #expect(message == #"open() "conf/tcplua.conf" failed (2: No such file or directory)"#)
    }

    @Test func errorsInsideIncludedFilesUseTheirName() {
        let message = errorText { () throws(ConfigError) in
            try load("tcp {\n    include bad.conf;\n}\n", extra: ["conf/bad.conf": "\n\nbogus 1;\n"])
        }
        #expect(message == #"unknown directive "bogus" in conf/bad.conf:3"#)
    }

    @Test func includeArgumentErrors() {
        let twoArgs = errorText { () throws(ConfigError) in try parse("include a b;") }
        #expect(twoArgs == #"invalid number of arguments in "include" directive in conf/tcplua.conf:1"#)
        let block = errorText { () throws(ConfigError) in try parse("include a { }") }
        #expect(block == #"directive "include" is not terminated by ";" in conf/tcplua.conf:1"#)
    }

    @Test func includeLoopsStop() {
        let message = errorText { () throws(ConfigError) in
            try load("include loop.conf;", extra: ["conf/loop.conf": "include loop.conf;"])
        }
        #expect(message == #"too many nested includes of "loop.conf" in conf/loop.conf:1"#)
    }

    @Test func dumpListsEveryFileOnce() throws {
        let main = "tcp {\n    include sites/*.conf;\n    include sites/a.conf;\n}\n"
        let dump = try ConfigLoader.dump(path: mainConf, prefix: testPrefix, fs: memoryFS(main, extra: sites))
        let expected =
            "# configuration file conf/tcplua.conf:\n\(main)\n"
            + "# configuration file conf/sites/a.conf:\n\nserver { listen 1; }\n\n"
            + "# configuration file conf/sites/b.conf:\nserver {\n    listen 2;\n}\n\n"
        #expect(dump == expected)
    }
}
