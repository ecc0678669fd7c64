import Testing

@testable import Config

/// `-g` directives: main context, "command line" in errors, duplicates with the file.
@Suite struct OverrideTests {
    @Test func overridesApply() throws {
        let config = try load("worker_processes 2;", overrides: "daemon off; pid /tmp/x.pid; error_log stderr debug;")
        #expect(config.daemon == false)
        #expect(config.pidPath == "/tmp/x.pid")
        #expect(config.workerProcesses == 2)
        #expect(config.errorLogs == [LogTarget(path: "stderr", level: .debug)])
    }

    @Test func repeatsOfMultiValuedDirectivesAdd() throws {
        let config = try load("error_log logs/e.log;\nenv A;", overrides: "error_log stderr; env B;")
        #expect(config.errorLogs.map(\.path) == ["stderr", "logs/e.log"])
        #expect(config.env == ["B", "A"])
    }

    @Test(arguments: [
        ("daemon off;", "\ndaemon on;", #""daemon" directive is duplicate in conf/tcplua.conf:2"#),
        ("pid a;", "pid b;", #""pid" directive is duplicate in conf/tcplua.conf:1"#),
        (
            "worker_processes 1;", "worker_processes auto;",
            #""worker_processes" directive is duplicate in conf/tcplua.conf:1"#
        ),
        ("master_process on;", "master_process on;", #""master_process" directive is duplicate in conf/tcplua.conf:1"#),
        ("daemon off", "", #"unexpected end of parameter, expecting ";" in command line"#),
        ("foo;", "", #"unknown directive "foo" in command line"#),
        ("listen 80;", "", #""listen" directive is not allowed here in command line"#),
        ("daemon yes;", "", #"invalid value "yes" in "daemon" directive, it must be "on" or "off" in command line"#),
        ("daemon on; daemon off;", "", #""daemon" directive is duplicate in command line"#),
    ])
    func errors(overrides: String, file: String, message: String) {
        #expect(errorText { () throws(ConfigError) in try load(file, overrides: overrides) } == message)
    }

    @Test func commandLineLocation() {
        #expect(SourceLocation.commandLine.isCommandLine)
        #expect(!at(1).isCommandLine)
        #expect(ConfigError("x", at: .commandLine).description == "x in command line")
        #expect(ConfigError("x", at: at(4)).description == "x in conf/tcplua.conf:4")
        #expect(ConfigError("x").description == "x")
    }
}
