import CShim
import Config
import EventLoop
import Glibc
import LuaKit
import Ngx

/// The master: reads nothing itself (the CLI hands it a loaded config, and a loader for reloads), opens the
/// logs, creates the Lua VM, maps the shared dict zones, runs `init_by_lua*`, binds every `listen`, then forks
/// the workers and only waits for signals and for its children's deaths (DESIGN.md, "Process model"). It
/// starts no thread.
public final class Master {
    var config: MainConfig
    let prefix: String
    let log: ErrorLog
    /// The current generation: what new workers are forked with (a reload replaces all four).
    var runtime: NgxRuntime!
    var servers: [ServerRuntime] = []
    var listeners: [Listener] = []
    var zones: [MappedZone] = []
    /// `pid`, resolved; `….oldbin` once a binary upgrade has started a new master.
    var pidPath: String
    /// The current generation's worker pids by slot (0 = not running).
    var workers: [pid_t] = []
    /// The same in shared memory, which the generation's workers read (`ngx.worker.pids()`).
    var pidTable: UnsafeMutableBufferPointer<Int32>?
    /// Workers of earlier generations (before a reload, or a WINCH), told to finish their sessions and exit.
    var retiring: Set<pid_t> = []
    var stopping = false
    /// False after WINCH: the workers were retired and none are started until HUP (rollback of an upgrade).
    var accepting = true
    /// The new master started by USR2 (binary upgrade), while it runs.
    var newBinary: pid_t = 0
    /// Listening sockets inherited from the old master of a binary upgrade, by address (`ip:port`).
    var inherited: [String: [Int32]] = [:]
    var daemonized = false
    /// Started by a binary upgrade: counts as detached for WINCH, as in nginx.
    var startedByUpgrade = false
    /// Who workers run as (`user`, when the master is root); nil = the master's user.
    public var workerUser: WorkerUser?
    /// The command line's start-up log (stderr and `logs/error.log`): failures to bind go there too, as nginx
    /// reports them on the terminal; closed once the sockets are bound.
    public var earlyLog: ErrorLog?
    /// Loads the configuration again for a reload (the command line's `-p`, `-c` and `-g`).
    public var reloadConfig: (() throws -> MainConfig)?

    public init(config: MainConfig, prefix: String, log: ErrorLog) {
        self.config = config
        self.prefix = prefix
        self.log = log
        pidPath = ErrorLog.resolve(config.pidPath, prefix: prefix)
    }

    /// Creates the VM, maps the zones (keeping those of the same name and size), compiles every chunk and runs
    /// init_by_lua: everything `-t` checks, serving needs, and a reload redoes into a fresh VM.
    public func prepare() throws {
        signal(SIGPIPE, SIG_IGN)
        let vm = LuaVM()
        runtime = NgxRuntime(loop: try EventLoop(), vm: vm, log: log, prefix: prefix)
        runtime.workerConnections = config.workerConnections
        runtime.maxPendingTimers = config.tcp.maxPendingTimers
        runtime.maxRunningTimers = config.tcp.maxRunningTimers
        NgxRuntime.workerCount = config.masterProcess ? workerCount : 1
        let tcp = config.tcp
        NgxAPI.streamConfig = !tcp.servers.isEmpty && tcp.servers.allSatisfy(\.isStream)
        NgxAPI.regexCacheMaxEntries = tcp.regexCacheMaxEntries
        NgxAPI.regexMatchLimit = tcp.regexMatchLimit
        NgxAPI.addedVariables = Set(tcp.addedVariables)
        vm.setPackagePath(tcp.packagePath(prefix: prefix), cpath: tcp.packageCPath(prefix: prefix))
        NgxRuntime.sharedZoneList = []
        zones = try SharedZones.map(tcp.sharedDicts, keeping: zones) { [log] d, oldSize in
            log.log(.notice, "shared zone \"\(d.name)\" changed size from \(oldSize) to \(d.size): a new, empty zone")
        }
        for z in zones { runtime.addSharedDict(name: z.name, zone: z.zone) }
        if let initSrc = tcp.initByLua {
            runtime.phase = .initByLua
            let h = LuaHandler(source: initSrc, codeCache: true, prefix: prefix)
            do {
                try h.runOnce(vm)
            } catch {
                throw ServerError("init_by_lua error: \(error.message)")
            }
        }
        // Compiled here only to report errors before serving (nothing kept: the worker loads it after the fork).
        if let w = tcp.initWorkerByLua {
            do {
                try LuaHandler(source: w, codeCache: false, prefix: prefix).compile(vm)
            } catch {
                throw ServerError("init_worker_by_lua error: \(error.message)")
            }
        }
        if tcp.servers.contains(where: { !$0.codeCache }) {
            log.log(.alert, "lua_code_cache is off; this will hurt performance")
            let packagePath = tcp.packagePath(prefix: prefix)
            let packageCPath = tcp.packageCPath(prefix: prefix)
            let initCode = tcp.initByLua.map { LuaHandler(source: $0, codeCache: false, prefix: prefix) }
            runtime.freshVMSetup = { fresh in
                fresh.setPackagePath(packagePath, cpath: packageCPath)
                do {
                    try initCode?.runOnce(fresh)
                } catch {
                    return "init_by_lua error: \(error)"
                }
                return nil
            }
        }
        do {
            servers = try runtime.makeServers(tcp.servers)
        } catch let e as LuaError {
            throw ServerError("failed to load Lua code: \(e.message)")
        }
    }

    /// Binds, daemonizes, writes the pid file and serves until stopped. Returns the exit code.
    public func serve() -> Int32 {
        if let n = config.workerRlimitNofile {
            var lim = rlimit(rlim_cur: rlim_t(n), rlim_max: rlim_t(n))
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &lim) != 0 {
                log.log(.alert, "setrlimit(RLIMIT_NOFILE, \(n)) failed (\(errno): \(Sys.strerror(errno)))")
            }
        }
        inheritSockets()
        startedByUpgrade = !inherited.isEmpty
        do {
            listeners = try bindListeners(reusing: inherited)
        } catch {
            (earlyLog.map { log.adding($0) } ?? log).log(.emerg, "\(error)")
            return 1
        }
        closeUnused(inherited, keeping: listeners)
        earlyLog?.close()
        earlyLog = nil
        // As nginx: a master started by a binary upgrade does not detach again.
        if config.daemon && inherited.isEmpty {
            if !daemonize() { return 1 }
            daemonized = true
        }
        ErrorLog.pid = getpid()
        writePidFile()
        defer {
            unlink(pidPath)
            removeUnixSocketFiles()
        }
        if !config.masterProcess {
            NgxRuntime.workerId = 0
            return Worker(runtime: runtime, listeners: listeners, config: config, shared: false).run()
        }
        return supervise()
    }

    /// nginx's `daemon on`: the foreground process exits 0 once the sockets are bound.
    private func daemonize() -> Bool {
        let pid = fork()
        if pid < 0 {
            log.log(.emerg, "fork() failed (\(errno): \(Sys.strerror(errno)))")
            return false
        }
        if pid > 0 { exit(0) }
        setsid()
        let null = open("/dev/null", O_RDWR)
        if null >= 0 {
            dup2(null, 0)
            dup2(null, 1)
            if null > 2 { close(null) }
        }
        return true
    }

    func writePidFile() {
        let fd = open(pidPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            log.log(.emerg, "open() \"\(pidPath)\" failed (\(errno): \(Sys.strerror(errno)))")
            return
        }
        let text = "\(getpid())\n"
        _ = text.withCString { write(fd, $0, strlen($0)) }
        close(fd)
    }
}
