import ArgumentParser
import Config
import Glibc
import Ngx
import Server

/// tcplua's command line, as nginx users type it: `-p PREFIX -c FILE`, `-t`, `-T`, `-q`, `-s SIGNAL`,
/// `-e FILE|stderr`, `-g 'directives;'`, `-v`, `-V`, `-h`/`-?`.
@main
struct TCPLua: ParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "tcplua",
        abstract: "A Lua-programmable TCP application server (nginx tcp lua module compatible).",
        helpNames: [.short, .long]
    )

    @Flag(name: .customShort("v"), help: "show version and exit") var showVersion = false
    @Flag(name: .customShort("V"), help: "show version and configure options then exit") var showConfigure = false
    @Flag(name: .customShort("t"), help: "test configuration and exit") var test = false
    @Flag(name: .customShort("T"), help: "test configuration, dump it and exit") var testDump = false
    @Flag(name: .customShort("q"), help: "suppress non-error messages during configuration testing") var quiet = false
    @Option(name: .customShort("s"), help: "send signal to a master process: stop, quit, reopen, reload") var signal:
        String?
    @Option(name: .customShort("p"), help: "set prefix path (default: current directory)") var prefix: String?
    @Option(name: .customShort("e"), help: "set error log file (default: logs/error.log)") var errorLog: String?
    @Option(name: .customShort("c"), help: "set configuration file (default: conf/tcplua.conf)") var conf =
        "conf/tcplua.conf"
    @Option(name: .customShort("g"), help: "set global directives out of configuration file") var globals: String?

    /// nginx accepts `-?`; ArgumentParser does not, so it is rewritten to `-h` before parsing.
    static func main() {
        let args = CommandLine.arguments.dropFirst().map { $0 == "-?" ? "-h" : $0 }
        do {
            var command = try parseAsRoot(Array(args))
            try command.run()
        } catch {
            exit(withError: error)
        }
    }

    func run() throws {
        if showVersion || showConfigure {
            printErr("tcplua version: tcplua/\(TCPLua.version)")
            if showConfigure {
                printErr("built with LuaJIT (OpenResty branch, libluajit2-5.1) and Swift 6")
                printErr("configure arguments: --prefix=. --conf-path=conf/tcplua.conf --pid-path=logs/tcplua.pid")
            }
            return
        }
        let prefixPath = resolvedPrefix()
        let confShown = conf.hasPrefix("/") ? conf : prefixPath + conf
        let early = earlyLog(prefixPath)

        let config: MainConfig
        do {
            config = try ConfigLoader.load(path: conf, prefix: prefixPath, overrides: globals)
        } catch {
            early.log(.emerg, "\(error)")
            if test || testDump { printErr("tcplua: configuration file \(confShown) test failed") }
            throw ExitCode(1)
        }
        if let signal { throw ExitCode(Signals.send(signal, config: config, prefix: prefixPath, log: early)) }

        if test || testDump {
            let master = Master(config: config, prefix: prefixPath, log: early)
            do {
                try master.prepare()
            } catch {
                early.log(.emerg, "\(error)")
                printErr("tcplua: configuration file \(confShown) test failed")
                throw ExitCode(1)
            }
            if !quiet {
                printErr("tcplua: the configuration file \(confShown) syntax is ok")
                printErr("tcplua: configuration file \(confShown) test is successful")
            }
            if testDump, let dump = try? ConfigLoader.dump(path: conf, prefix: prefixPath) {
                print(dump, terminator: "")
            }
            return
        }

        let log = ErrorLog()
        do {
            try log.open(
                errorLog.map { [LogTarget(path: $0, level: config.errorLogs.first?.level ?? .error)] }
                    ?? config.errorLogs,
                prefix: prefixPath
            )
        } catch {
            early.log(.emerg, "\(error)")
            throw ExitCode(1)
        }
        let master = Master(config: config, prefix: prefixPath, log: log)
        do {
            try master.prepare()
        } catch {
            log.log(.emerg, "\(error)")
            if !config.errorLogs.contains(where: { $0.path == "stderr" }) { early.log(.emerg, "\(error)") }
            throw ExitCode(1)
        }
        throw ExitCode(master.serve())
    }

    /// The prefix with a trailing slash; the current directory when `-p` is not given.
    func resolvedPrefix() -> String {
        var p = prefix ?? ""
        if p.isEmpty || !p.hasPrefix("/") {
            var buf = [CChar](repeating: 0, count: 4096)
            let cwd =
                getcwd(&buf, 4096) != nil
                ? String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) : "."
            p = p.isEmpty ? cwd : cwd + "/" + p
        }
        return p.hasSuffix("/") ? p : p + "/"
    }

    /// The log for messages before the config's own logs are open: stderr, or `-e FILE`.
    func earlyLog(_ prefix: String) -> ErrorLog {
        let log = ErrorLog.stderr(level: .notice)
        if let e = errorLog, e != "stderr" {
            try? log.open(
                [LogTarget(path: "stderr", level: .notice), LogTarget(path: e, level: .notice)],
                prefix: prefix
            )
        }
        log.linePrefix = "tcplua: "
        return log
    }
}

func printErr(_ s: String) {
    let line = s + "\n"
    _ = line.withCString { write(2, $0, strlen($0)) }
}
