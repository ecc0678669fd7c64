import Config
import EventLoop
import Glibc
import Ngx
import Server

/// `tcplua -s stop|quit|reopen|reload`: signals the master named in the pid file. `reload` then waits for the
/// master's answer in its status file (`ReloadStatus`): exit 0 once the new configuration is in effect, 1 with
/// the reason on stderr when the master refused it (the old configuration keeps serving).
enum Signals {
    /// How long `-s reload` waits for the master's answer (a fresh VM, init_by_lua and the forks).
    static let reloadAnswerSeconds = 60.0

    static func send(_ name: String, config: MainConfig, prefix: String, log: ErrorLog) -> Int32 {
        let map: [String: Int32] = ["stop": SIGTERM, "quit": SIGQUIT, "reopen": SIGUSR1, "reload": SIGHUP]
        guard let sig = map[name] else {
            log.log(.emerg, "invalid option: \"-s \(name)\"")
            return 1
        }
        let path = ErrorLog.resolve(config.pidPath, prefix: prefix)
        let pid: pid_t
        switch PidFile.read(path) {
        case .success(let p): pid = p
        case .failure(let e):
            log.log(.error, e.message)
            return 1
        }
        let statusPath = ReloadStatus.path(pidPath: path)
        if kill(pid, 0) == 0, !PidFile.isTcplua(pid) {
            log.log(.error, "the pid file \"\(path)\" is stale: process \(pid) is not tcplua, not signalled")
            return 1
        }
        if kill(pid, sig) != 0 {
            let e = errno
            let stale = e == ESRCH ? ": the pid file is stale (no such process)" : ""
            log.log(.error, "kill(\(pid), \(sig)) failed (\(e): \(Sys.strerror(e))) for the pid in \"\(path)\"\(stale)")
            return 1
        }
        guard sig == SIGHUP else { return 0 }
        return awaitReload(statusPath, master: pid, log: log)
    }

    /// Waits for the master's answer to this process's HUP.
    private static func awaitReload(_ statusPath: String, master: pid_t, log: ErrorLog) -> Int32 {
        let me = getpid()
        var waited = 0.0
        while waited < reloadAnswerSeconds {
            switch ReloadStatus.answer(statusPath, for: me) {
            case .success?:
                return 0
            case .failure(let refusal)?:
                log.log(
                    .emerg,
                    "reload refused by master \(master), the old configuration stays in effect: \(refusal.reason)"
                )
                return 1
            case nil:
                if kill(master, 0) != 0 && errno == ESRCH {
                    log.log(.error, "master \(master) exited before answering the reload")
                    return 1
                }
                usleep(20_000)
                waited += 0.02
            }
        }
        log.log(
            .error,
            "no answer to the reload from master \(master) in \(Int(reloadAnswerSeconds))s (\"\(statusPath)\")"
        )
        return 1
    }
}

/// The pid file, read as nginx does for `-s`, and checked before a start.
enum PidFile {
    struct Failure: Error {
        var message: String
    }

    /// The pid the file holds, or the one-line error naming the file.
    static func read(_ path: String) -> Result<pid_t, Failure> {
        guard let f = fopen(path, "r") else {
            let e = errno
            let hint = e == ENOENT ? " (is tcplua running with this prefix and pid file?)" : ""
            return .failure(Failure(message: "open() \"\(path)\" failed (\(e): \(Sys.strerror(e)))\(hint)"))
        }
        defer { fclose(f) }
        var buf = [CChar](repeating: 0, count: 32)
        guard fgets(&buf, 32, f) != nil,
            let pid = Int32(
                String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self).filter(\.isNumber)
            ), pid > 0
        else {
            return .failure(Failure(message: "invalid PID number in \"\(path)\""))
        }
        return .success(pid)
    }

    /// The pid of a tcplua that still runs with this pid file, if any (a stale file — no such process, or a
    /// process that is not tcplua — does not count).
    static func runningMaster(_ path: String) -> pid_t? {
        guard case .success(let pid) = read(path), pid != getpid(), kill(pid, 0) == 0 || errno == EPERM else {
            return nil
        }
        return isTcplua(pid) ? pid : nil
    }

    /// True unless `/proc` shows that `pid` runs another program (its argv[0] does not end in `tcplua`).
    static func isTcplua(_ pid: pid_t) -> Bool {
        guard let f = fopen("/proc/\(pid)/cmdline", "r") else { return true }
        defer { fclose(f) }
        var buf = [UInt8](repeating: 0, count: 4096)
        let n = fread(&buf, 1, 4096, f)
        return String(decoding: buf[0..<n].prefix { $0 != 0 }, as: UTF8.self).hasSuffix("tcplua")
    }
}
