import ArgumentParser
import Config
import Glibc
import Ngx
import Server

/// tcplua's command line, as nginx users type it: `-p PREFIX -c FILE`, `-t`, `-T`, `-q`, `-s SIGNAL`,
/// `-e FILE|stderr`, `-g 'directives;'`, `-v`, `-V`, `-h`/`-?`.
@main
struct TCPLua: ParsableCommand {
    static let version = "0.2.0"
    /// The nginx release whose behaviour tcplua follows (`NgxStrings.nginxVersion`): `-v` names it after
    /// tcplua's own, as Tengine does.
    static let nginxVersion = NgxStrings.nginxVersion

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
    @Option(
        name: .customShort("s"),
        help: ArgumentHelp("send signal to a master process: stop, quit, reopen, reload", valueName: "signal")
    ) var signal: String?
    @Option(
        name: .customShort("p"),
        help: ArgumentHelp("set prefix path (default: the current directory)", valueName: "prefix")
    ) var prefix: String?
    @Option(
        name: .customShort("e"),
        help: ArgumentHelp("set error log file, or stderr (default: logs/error.log)", valueName: "file")
    ) var errorLog: String?
    @Option(name: .customShort("c"), help: ArgumentHelp("set configuration file", valueName: "file")) var conf =
        "conf/tcplua.conf"
    @Option(
        name: .customShort("g"),
        help: ArgumentHelp("set global directives out of configuration file", valueName: "directives")
    ) var globals: String?

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
            printErr("tcplua version: tcplua/\(TCPLua.version) (nginx/\(TCPLua.nginxVersion))")
            if showConfigure {
                printErr("built with LuaJIT (OpenResty branch, libluajit2-5.1) and Swift 6")
                printErr("configure arguments: --prefix=. --conf-path=conf/tcplua.conf --pid-path=logs/tcplua.pid")
            }
            return
        }
        let prefixPath = resolvedPrefix()
        let confShown = conf.hasPrefix("/") ? conf : prefixPath + conf
        let testing = test || testDump
        let early = earlyLog(prefixPath)
        if let failure = prefixFailure(prefixPath) {
            early.log(.emerg, failure)
            throw ExitCode(1)
        }

        let config: MainConfig
        let user: WorkerUser?
        do {
            config = try ConfigLoader.load(path: conf, prefix: prefixPath, overrides: globals)
            if let signal { throw ExitCode(Signals.send(signal, config: config, prefix: prefixPath, log: early)) }
            user = try startupChecks(config, log: early, warn: !(testing && quiet))
        } catch let error as ExitCode {
            throw error
        } catch {
            early.log(.emerg, "\(error)")
            if testing { printErr("tcplua: configuration file \(confShown) test failed") }
            throw ExitCode(1)
        }

        if testing {
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

        if let failure = alreadyRunning(config, prefix: prefixPath) {
            early.log(.emerg, failure)
            throw ExitCode(1)
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
        master.workerUser = user
        let (conf, globals) = (conf, globals)
        master.reloadConfig = { try ConfigLoader.load(path: conf, prefix: prefixPath, overrides: globals) }
        do {
            try master.prepare()
        } catch {
            log.adding(early).log(.emerg, "\(error)")
            throw ExitCode(1)
        }
        master.earlyLog = early
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
}

func printErr(_ s: String) {
    let line = s + "\n"
    _ = line.withCString { write(2, $0, strlen($0)) }
}
