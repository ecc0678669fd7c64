import CShim
import Config
import EventLoop
import Glibc
import Ngx

/// The master's loop: signals in, workers out. TERM/INT stop now, QUIT stops gracefully, HUP reloads
/// (or, after WINCH, starts workers again: the rollback of a binary upgrade), USR1 reopens the logs, USR2
/// starts a new binary, WINCH retires the workers; a worker that dies is logged and replaced at once.
extension Master {
    /// Forks the workers and waits for signals until the master should exit; returns its exit code.
    func supervise() -> Int32 {
        let signals: [Int32] = [SIGCHLD, SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGUSR1, SIGUSR2, SIGWINCH]
        let sfd = signals.withUnsafeBufferPointer { tl_signalfd($0.baseAddress, Int32($0.count)) }
        guard sfd >= 0 else {
            log.log(.emerg, "signalfd() failed (\(errno): \(Sys.strerror(errno)))")
            return 1
        }
        log.wallMs = ErrorLog.systemWallMs  // the master runs no loop: its lines read the clock themselves
        log.log(.notice, "tcplua started, master \(getpid())")
        if !startWorkers() { return 1 }
        var pfd = pollfd(fd: sfd, events: Int16(POLLIN), revents: 0)
        while true {
            if poll(&pfd, 1, -1) < 0 && errno != EINTR { break }
            while true {
                var sender: Int32 = 0
                let sig = tl_signalfd_read_sender(sfd, &sender)
                if sig <= 0 { break }
                if handle(sig, from: sender) { return 0 }
            }
        }
        return 1
    }

    /// Acts on one signal; true when the master should exit now.
    private func handle(_ sig: Int32, from sender: Int32) -> Bool {
        switch sig {
        case SIGCHLD:
            return reapChildren()
        case SIGTERM, SIGINT, SIGQUIT:
            stopping = true
            log.log(.notice, "signal \(sig) received, \(sig == SIGQUIT ? "shutting down gracefully" : "exiting")")
            signalWorkers(sig)
            return allChildrenGone
        case SIGUSR1:
            log.reopen()
            signalWorkers(SIGUSR1)
        case SIGHUP where stopping:
            break
        case SIGHUP where !accepting:
            log.log(.notice, "signal \(sig) received from \(sender), starting worker processes again (no reload)")
            accepting = true
            _ = startWorkers()
        case SIGHUP:
            log.log(.notice, "signal \(sig) received from \(sender), reconfiguring")
            reload(requestedBy: sender)
        case SIGUSR2:
            log.log(.notice, "signal \(sig) received from \(sender), changing binary")
            startNewBinary()
        case SIGWINCH where daemonized || startedByUpgrade || newBinary != 0:
            log.log(.notice, "signal \(sig) received from \(sender), gracefully shutting down worker processes")
            accepting = false
            retireWorkers()
        case SIGWINCH:
            break  // as nginx: a terminal resize means nothing to a master in the foreground
        default:
            break
        }
        return false
    }

    /// `worker_processes`, with `auto` resolved to the number of CPUs.
    var workerCount: Int {
        config.workerProcesses > 0 ? config.workerProcesses : max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN)))
    }

    var allChildrenGone: Bool { workers.allSatisfy { $0 == 0 } && retiring.isEmpty }

    /// Starts one worker per slot of the current generation.
    func startWorkers() -> Bool {
        let count = workerCount
        workers = Array(repeating: 0, count: count)
        mapPidTable(count)
        for slot in 0..<count where !spawnWorker(slot) { return false }
        return true
    }

    /// A new generation's pid table, mapped shared before its workers are forked (they inherit it); the last
    /// generation's is unmapped here only: its workers keep their own mappings, as it was when they retired.
    private func mapPidTable(_ count: Int) {
        if let old = pidTable { munmap(old.baseAddress, old.count * MemoryLayout<Int32>.size) }
        pidTable = nil
        NgxRuntime.workerPids = nil
        let bytes = count * MemoryLayout<Int32>.size
        guard let p = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0), p != MAP_FAILED
        else {
            // ngx.worker.pids() then lists each worker alone
            log.log(.alert, "mmap(MAP_ANON|MAP_SHARED, \(bytes)) failed (\(errno): \(Sys.strerror(errno)))")
            return
        }
        let table = UnsafeMutableBufferPointer(start: p.bindMemory(to: Int32.self, capacity: count), count: count)
        table.initialize(repeating: 0)
        pidTable = table
        NgxRuntime.workerPids = table
    }

    /// Tells every worker of the current generation to stop accepting and finish its sessions, keeping those
    /// parked in `ngx.wait_next_request()` (SIGWINCH to a worker); they are not replaced.
    func retireWorkers() {
        for pid in workers where pid > 0 {
            retiring.insert(pid)
            kill(pid, SIGWINCH)
        }
        workers = workers.map { _ in 0 }
    }

    func signalWorkers(_ sig: Int32) {
        for pid in workers where pid > 0 { kill(pid, sig) }
        for pid in retiring { kill(pid, sig) }
    }

    /// Forks the worker of `slot` with the current generation.
    func spawnWorker(_ slot: Int) -> Bool {
        let pid = fork()
        if pid < 0 {
            log.log(.alert, "fork() failed (\(errno): \(Sys.strerror(errno)))")
            return false
        }
        if pid == 0 {  // signals stay blocked: the worker's own signalfd takes them from here
            ErrorLog.pid = getpid()
            NgxRuntime.workerId = slot
            NgxRuntime.workerCount = workers.count
            if let user = workerUser, let failure = user.apply() {
                log.log(.emerg, failure)
                exit(2)
            }
            let code = Worker(runtime: runtime, listeners: listeners, config: config, shared: workers.count > 1).run()
            exit(code)
        }
        workers[slot] = pid
        pidTable?[slot] = pid
        log.log(.notice, "start worker process \(pid)")
        return true
    }

    /// Collects dead children: replaces a worker of the current generation that died (unless stopping),
    /// forgets retired ones, and notices the end of a new binary. True when the master should exit.
    private func reapChildren() -> Bool {
        var status: Int32 = 0
        while true {
            let pid = waitpid(-1, &status, WNOHANG)
            if pid <= 0 { break }
            releaseZoneLocks(of: pid)
            if pid == newBinary {
                newBinaryExited(pid, status: status)
                continue
            }
            if retiring.remove(pid) != nil {
                logExit(pid, status: status, expected: true)
                continue
            }
            guard let slot = workers.firstIndex(of: pid) else { continue }
            workers[slot] = 0
            pidTable?[slot] = 0
            if stopping { continue }
            if Master.exitCode(status) == 2 {  // a worker that cannot start (nginx's fatal code)
                log.log(.alert, "worker process \(pid) exited with fatal code 2 and cannot be respawned")
                continue
            }
            logExit(pid, status: status, expected: false)
            if !spawnWorker(slot) { return true }
        }
        return stopping && allChildrenGone
    }

    /// A dead child still holding a zone's lock: the master recovers the zone and frees the lock now, while
    /// no other process can have the pid (nginx's `ngx_unlock_mutexes`, with its line).
    private func releaseZoneLocks(of pid: pid_t) {
        for z in zones where z.zone.releaseLock(ofDead: pid) {
            log.log(.alert, "shared memory zone \"\(z.name)\" was locked by \(pid)")
        }
    }

    /// nginx's line for a dead child: `[alert]` for a signal or an unexpected exit, `[notice]` for a retired
    /// worker that finished.
    private func logExit(_ pid: pid_t, status: Int32, expected: Bool) {
        let sig = status & 0x7f
        if sig != 0 && sig != 0x7f {
            log.log(
                .alert,
                "worker process \(pid) exited on signal \(sig)\(status & 0x80 != 0 ? " (core dumped)" : "")"
            )
        } else {
            log.log(expected ? .notice : .alert, "worker process \(pid) exited with code \(Master.exitCode(status))")
        }
    }

    static func exitCode(_ status: Int32) -> Int32 { (status >> 8) & 0xff }
}
