import CShim
import Config
import EventLoop
import Glibc
import LuaKit
import Ngx

/// The master: reads nothing itself (the CLI hands it a loaded config), opens the logs, creates the Lua VM,
/// maps the shared dict zones, runs `init_by_lua*`, binds every `listen`, then forks the worker and only waits for signals and for the
/// worker's death (DESIGN.md, "Process model"). It starts no thread before forking.
public final class Master {
    let config: MainConfig
    let prefix: String
    let log: ErrorLog
    var runtime: NgxRuntime!
    var servers: [ServerRuntime] = []
    var listeners: [Listener] = []
    var pidPath: String
    /// Worker pids by slot (0 = not running).
    var workers: [pid_t] = []
    var stopping = false
    /// Who workers run as (`user`, when the master is root); nil = the master's user.
    public var workerUser: WorkerUser?
    /// The command line's start-up log (stderr and `logs/error.log`): failures to bind go there too, as nginx
    /// reports them on the terminal; closed once the sockets are bound.
    public var earlyLog: ErrorLog?

    public init(config: MainConfig, prefix: String, log: ErrorLog) {
        self.config = config
        self.prefix = prefix
        self.log = log
        pidPath = ErrorLog.resolve(config.pidPath, prefix: prefix)
    }

    /// Creates the VM, compiles every chunk and runs init_by_lua: everything `-t` checks and serving needs.
    public func prepare() throws {
        signal(SIGPIPE, SIG_IGN)
        let vm = LuaVM()
        runtime = NgxRuntime(loop: try EventLoop(), vm: vm, log: log, prefix: prefix)
        runtime.workerConnections = config.workerConnections
        let tcp = config.tcp
        vm.setPackagePath(tcp.packagePath(prefix: prefix), cpath: tcp.packageCPath(prefix: prefix))
        for (name, zone) in try SharedZones.map(tcp.sharedDicts) { runtime.addSharedDict(name: name, zone: zone) }
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
        do {
            for s in servers {
                for (i, a) in s.config.listens.enumerated() {
                    let l = try Listener.bind(a)
                    l.server = s
                    l.listenIndex = i
                    listeners.append(l)
                }
            }
        } catch {
            (earlyLog.map { log.adding($0) } ?? log).log(.emerg, "\(error)")
            return 1
        }
        earlyLog?.close()
        earlyLog = nil
        if config.daemon && !daemonize() { return 1 }
        ErrorLog.pid = getpid()
        writePidFile()
        defer { unlink(pidPath) }
        if !config.masterProcess {
            return Worker(runtime: runtime, listeners: listeners, config: config, shared: false).run()
        }
        return superviseWorker()
    }

    /// Forks the worker and waits: respawns it if it dies, forwards stop/reopen signals.
    private func superviseWorker() -> Int32 {
        let signals: [Int32] = [SIGCHLD, SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGUSR1, SIGWINCH]
        let sfd = signals.withUnsafeBufferPointer { tl_signalfd($0.baseAddress, Int32($0.count)) }
        guard sfd >= 0 else {
            log.log(.emerg, "signalfd() failed (\(errno): \(Sys.strerror(errno)))")
            return 1
        }
        log.wallMs = ErrorLog.systemWallMs  // the master runs no loop: its lines read the clock themselves
        log.log(.notice, "tcplua started, master \(getpid())")
        let count = config.workerProcesses > 0 ? config.workerProcesses : max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        workers = Array(repeating: 0, count: count)
        for slot in 0..<count where !spawnWorker(slot) { return 1 }
        var pfd = pollfd(fd: sfd, events: Int16(POLLIN), revents: 0)
        while true {
            if poll(&pfd, 1, -1) < 0 && errno != EINTR { break }
            while true {
                let sig = tl_signalfd_read(sfd)
                if sig <= 0 { break }
                switch sig {
                case SIGCHLD:
                    if reapWorkers() { return 0 }
                case SIGTERM, SIGINT, SIGQUIT:
                    stopping = true
                    log.log(
                        .notice,
                        "signal \(sig) received, \(sig == SIGQUIT ? "shutting down gracefully" : "exiting")"
                    )
                    signalWorkers(sig)
                    if workers.allSatisfy({ $0 == 0 }) { return 0 }
                case SIGUSR1:
                    log.reopen()
                    signalWorkers(SIGUSR1)
                case SIGHUP:
                    log.log(.warn, "reload (SIGHUP) is not supported yet; restart tcplua to apply a new config")
                default:
                    break
                }
            }
        }
        return 1
    }

    private func signalWorkers(_ sig: Int32) {
        for pid in workers where pid > 0 { kill(pid, sig) }
    }

    /// Forks the worker of `slot`.
    private func spawnWorker(_ slot: Int) -> Bool {
        let pid = fork()
        if pid < 0 {
            log.log(.alert, "fork() failed (\(errno): \(Sys.strerror(errno)))")
            return false
        }
        if pid == 0 {  // signals stay blocked: the worker's own signalfd takes them from here
            ErrorLog.pid = getpid()
            if let user = workerUser, let failure = user.apply() {
                log.log(.emerg, failure)
                exit(2)
            }
            let code = Worker(runtime: runtime, listeners: listeners, config: config, shared: workers.count > 1).run()
            exit(code)
        }
        workers[slot] = pid
        log.log(.notice, "start worker process \(pid)")
        return true
    }

    /// Collects dead workers and respawns them unless stopping; true when the master should exit.
    private func reapWorkers() -> Bool {
        var status: Int32 = 0
        while true {
            let pid = waitpid(-1, &status, WNOHANG)
            if pid <= 0 { break }
            guard let slot = workers.firstIndex(of: pid) else { continue }
            workers[slot] = 0
            if stopping { continue }
            let sig = status & 0x7f
            if sig != 0 && sig != 0x7f {
                log.log(.alert, "worker process \(pid) exited on signal \(sig)")
            } else if (status >> 8) & 0xff == 2 {  // a worker that cannot start (nginx's fatal code)
                log.log(.alert, "worker process \(pid) exited with fatal code 2 and cannot be respawned")
                continue
            } else {
                log.log(.alert, "worker process \(pid) exited with code \((status >> 8) & 0xff)")
            }
            if !spawnWorker(slot) { return true }
        }
        return stopping && workers.allSatisfy { $0 == 0 }
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

    private func writePidFile() {
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
