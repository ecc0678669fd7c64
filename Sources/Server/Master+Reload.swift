import Config
import EventLoop
import Glibc
import Ngx

/// HUP: a new generation from the configuration as it is now on disk, or none if it is bad.
///
///     read config ─▶ fresh VM, zones (same name and size kept), init_by_lua, compile ─▶ bind new listens
///          │ any failure: [emerg] with file:line, the old generation keeps serving, status "refused"
///          ▼
///     fork new workers ─▶ old workers retire (SIGWINCH: stop accepting, sessions finish on their code)
///          ─▶ close the sockets of removed listens, unmap removed zones ─▶ status "ok"
extension Master {
    /// Reloads the configuration; `sender` (the pid that sent HUP) is named in the status file so that
    /// `tcplua -s reload` can tell its answer from another's.
    func reload(requestedBy sender: pid_t) {
        let statusPath = ReloadStatus.path(pidPath: ErrorLog.resolve(config.pidPath, prefix: prefix))
        if let failure = buildGeneration() {
            log.log(.emerg, failure)
            log.log(.notice, "reload refused: the old configuration stays in effect")
            ReloadStatus.write(statusPath, sender: sender, failure: failure)
            return
        }
        ReloadStatus.write(statusPath, sender: sender, failure: nil)
    }

    /// Builds and starts the new generation; returns the reason when it cannot (the old one is then intact).
    private func buildGeneration() -> String? {
        guard let reloadConfig else { return "reload is not possible: no configuration loader" }
        let newConfig: MainConfig
        do {
            newConfig = try reloadConfig()
        } catch {
            return "\(error)"
        }
        var user = workerUser
        switch WorkerUser.resolve(newConfig.user) {
        case .none, .ignored: user = nil
        case .switchTo(let u): user = u
        case .failed(let message): return message
        }
        for w in newConfig.warnings { log.log(.warn, w.description) }
        let old = (
            config: config, runtime: runtime!, servers: servers, listeners: listeners, zones: zones,
            zoneList: NgxRuntime.sharedZoneList
        )
        config = newConfig
        do {
            try prepare()
            listeners = try bindListeners(reusing: Master.sockets(of: old.listeners))
        } catch {
            let oldBases = Set(old.zones.map(\.base))
            SharedZones.unmap(zones.filter { !oldBases.contains($0.base) })
            (config, runtime, servers, listeners, zones) = (
                old.config, old.runtime, old.servers, old.listeners, old.zones
            )
            NgxRuntime.sharedZoneList = old.zoneList
            runtime.makeCurrent()
            NgxRuntime.workerCount = config.masterProcess ? workerCount : 1
            log.wallMs = ErrorLog.systemWallMs
            return "\(error)"
        }
        log.wallMs = ErrorLog.systemWallMs
        workerUser = user
        // What the new generation does not use is closed first, so its workers do not inherit it (the old
        // workers have their own copies); then the new workers start, so some worker accepts at every
        // moment, and the old ones retire.
        closeUnused(Master.sockets(of: old.listeners), keeping: listeners)
        let newBases = Set(zones.map(\.base))
        SharedZones.unmap(old.zones.filter { !newBases.contains($0.base) })
        for s in old.servers { s.errorLog.close() }
        let oldWorkers = workers.filter { $0 > 0 }
        if accepting && !startWorkers() { log.log(.alert, "reload: could not start every new worker process") }
        for pid in oldWorkers {
            retiring.insert(pid)
            kill(pid, SIGWINCH)
        }
        awaitStoppedAccepting(oldWorkers)
        return nil
    }

    /// Waits, up to a second in all, until the retired workers have closed their copies of the listening
    /// sockets (each does when it handles its SIGWINCH, milliseconds later), so that once the answer says "ok"
    /// every new connection reaches the new code. Read from `/proc/PID/fd`; a worker that is gone holds none.
    private func awaitStoppedAccepting(_ pids: [pid_t]) {
        var inodes: Set<UInt64> = []
        for l in listeners {
            var st = stat()
            if fstat(l.fd, &st) == 0 { inodes.insert(UInt64(st.st_ino)) }
        }
        var deadline = timespec()
        clock_gettime(CLOCK_MONOTONIC, &deadline)
        deadline.tv_sec += 1
        for pid in pids {
            while Master.holdsSocket(pid, of: inodes) {
                var now = timespec()
                clock_gettime(CLOCK_MONOTONIC, &now)
                if (now.tv_sec, now.tv_nsec) >= (deadline.tv_sec, deadline.tv_nsec) {
                    log.log(.info, "worker process \(pid) still holds its listening sockets after 1s")
                    return
                }
                usleep(1000)
            }
        }
    }

    /// Whether process `pid` has one of the sockets `inodes` open.
    static func holdsSocket(_ pid: pid_t, of inodes: Set<UInt64>) -> Bool {
        guard let dir = opendir("/proc/\(pid)/fd") else { return false }
        defer { closedir(dir) }
        var link = [CChar](repeating: 0, count: 64)
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) {
                String(cString: $0.bindMemory(to: CChar.self).baseAddress!)
            }
            guard name.first?.isNumber == true else { continue }
            let n = readlink("/proc/\(pid)/fd/\(name)", &link, 63)
            guard n > 0 else { continue }
            let text = String(decoding: link[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            guard text.hasPrefix("socket:["), let inode = UInt64(text.dropFirst(8).dropLast()) else { continue }
            if inodes.contains(inode) { return true }
        }
        return false
    }
}
