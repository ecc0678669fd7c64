import Testing

@testable import Config

/// The nginx-syntax reader: words, quotes, escapes, comments, blocks, line numbers.
@Suite struct LexerTests {
    @Test func simpleDirectivesAndBlocks() throws {
        let directives = try parse("daemon off;\nevents {\n    worker_connections 1024;\n}\n")
        #expect(directives.count == 2)
        #expect(directives[0] == Directive(name: "daemon", args: ["off"], location: at(1)))
        #expect(directives[1].name == "events")
        #expect(directives[1].args.isEmpty)
        #expect(directives[1].location == at(2))
        #expect(directives[1].block == [Directive(name: "worker_connections", args: ["1024"], location: at(3))])
    }

    @Test func nestedBlocksKeepTheirLines() throws {
        let directives = try parse("tcp {\n  server {\n\n    listen 1;\n  }\n  server { listen 2; }\n}")
        let servers = try #require(directives.first?.block)
        #expect(servers.map(\.location.line) == [2, 6])
        #expect(servers[0].block?.first?.location == at(4))
        #expect(servers[1].block?.first?.args == ["2"])
    }

    @Test(arguments: [
        (#"a "x y";"#, ["x y"]),
        (#"a 'x y';"#, ["x y"]),
        (#"a "it's" 'say "hi"';"#, ["it's", #"say "hi""#]),
        (#"a "q\"q" 'q\'q';"#, [#"q"q"#, "q'q"]),
        (#"a "b\\s" "t\tn\nr\r";"#, [#"b\s"#, "t\tn\nr\r"]),
        (#"a "\$x" \$y;"#, ["$x", "$y"]),
        (#"a "\d" \w;"#, [#"\d"#, #"\w"#]),
        (#"a b\ c;"#, [#"b\ c"#]),
        (#"a ${var}x;"#, ["${var}x"]),
        ("a x}y z#w;", ["x}y", "z#w"]),
        ("a \"\" '';", ["", ""]),
        ("a\t\r\n  b   \n c ;", ["b", "c"]),
        ("a \"multi\nline\";", ["multi\nline"]),
    ])
    func quotingAndEscapes(text: String, args: [String]) throws {
        let directives = try parse(text)
        #expect(directives.count == 1)
        #expect(directives.first?.name == "a")
        #expect(directives.first?.args == args)
    }

    @Test func commentsAreSkipped() throws {
        let text = """
            # leading comment
            daemon off; # trailing comment with ; and { }
            # pid x;
            pid "logs/#notacomment.pid";
            """
        let directives = try parse(text)
        #expect(directives.map(\.name) == ["daemon", "pid"])
        #expect(directives[1].args == ["logs/#notacomment.pid"])
        #expect(directives[1].location == at(4))
    }

    @Test func argumentLinesAreRecorded() throws {
        let directives = try parse("log_format main\n  'a'\n  \"b\nc\" d;")
        #expect(directives[0].argLines == [1, 2, 3, 4])
        #expect(directives[0].args == ["main", "a", "b\nc", "d"])
    }

    @Test func emptyTextHasNoDirectives() throws {
        #expect(try parse("").isEmpty)
        #expect(try parse("  # only a comment\n\n").isEmpty)
    }

    @Test(arguments: [
        ("a \"x\"y;", #"unexpected "y" in conf/tcplua.conf:1"#),
        ("a 'x'#;", ##"unexpected "#" in conf/tcplua.conf:1"##),
        (";", #"unexpected ";" in conf/tcplua.conf:1"#),
        ("\n{ }", #"unexpected "{" in conf/tcplua.conf:2"#),
        ("a b }", #"unexpected "}" in conf/tcplua.conf:1"#),
        ("a \"open\n\n", #"unexpected end of file, expecting ";" or "}" in conf/tcplua.conf:3"#),
        ("tcp {\n}\n}\n", #"unexpected "}" in conf/tcplua.conf:3"#),
        ("tcp {\n server {\n", #"unexpected end of file, expecting "}" in conf/tcplua.conf:3"#),
        ("daemon off", #"unexpected end of file, expecting ";" or "}" in conf/tcplua.conf:1"#),
    ])
    func syntaxErrors(text: String, message: String) {
        #expect(errorText { () throws(ConfigError) in try parse(text) } == message)
    }

    @Test func closingParenAfterQuoteIsASeparator() throws {
        #expect(try parse("a \"x\")y;").first?.args == ["x", "y"])
    }
}
