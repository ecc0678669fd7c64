import CShim
import Config
import EventLoop
import Glibc
import Ngx

/// USR2, nginx's binary upgrade: the master renames its pid file to `….oldbin` and starts the binary found at
/// its own command line's path (a new build in its place) with the same arguments and its listening sockets
/// open, their descriptors in `TCPLUA`. The new master binds nothing that is inherited, writes the pid file
/// and forks its workers, so both generations accept at once. Then WINCH to the old master retires its
/// workers, QUIT to it finishes the upgrade, and HUP to it (after WINCH) starts its workers again: a rollback,
/// after which the new master is sent QUIT. If the new master exits, the pid file is renamed back.
extension Master {
    func startNewBinary() {
        guard newBinary == 0 else {
            log.log(.alert, "the changing binary signal is ignored: a new binary process \(newBinary) is running")
            return
        }
        let oldbin = pidPath + ".oldbin"
        guard !pidPath.hasSuffix(".oldbin") else {
            log.log(.alert, "the changing binary signal is ignored: this master is already the old binary")
            return
        }
        guard rename(pidPath, oldbin) == 0 else {
            log.log(.alert, "rename() \"\(pidPath)\" to \"\(oldbin)\" failed (\(errno): \(Sys.strerror(errno)))")
            return
        }
        let fds = Array(Set(listeners.map(\.fd))).sorted()
        let args = CommandLine.arguments
        let pid = fork()
        if pid < 0 {
            log.log(.alert, "fork() failed (\(errno): \(Sys.strerror(errno)))")
            rename(oldbin, pidPath)
            return
        }
        if pid == 0 {
            for fd in fds { _ = tl_set_cloexec(fd, 0) }
            setenv(Master.inheritedSocketsVariable, fds.map { "\($0);" }.joined(), 1)
            var none = sigset_t()
            sigemptyset(&none)
            sigprocmask(SIG_SETMASK, &none, nil)
            var argv: [UnsafeMutablePointer<CChar>?] = args.map { strdup($0) }
            argv.append(nil)
            execvp(args[0], &argv)
            log.log(
                .alert,
                "execve() failed while executing new binary process \"\(args[0])\" (\(errno): \(Sys.strerror(errno)))"
            )
            _exit(2)
        }
        pidPath = oldbin
        newBinary = pid
        log.log(.notice, "start new binary process \(pid)")
    }

    /// The new master ended: this master is the current one again (its pid file back in place).
    func newBinaryExited(_ pid: pid_t, status: Int32) {
        newBinary = 0
        let sig = status & 0x7f
        let how = sig != 0 ? "on signal \(sig)" : "with code \(Master.exitCode(status))"
        log.log(.notice, "new binary process \(pid) exited \(how)")
        guard pidPath.hasSuffix(".oldbin") else { return }
        let current = String(pidPath.dropLast(".oldbin".count))
        // The new master removes its pid file on exit; if one is there it belongs to someone else.
        if access(current, F_OK) != 0 && rename(pidPath, current) == 0 { pidPath = current }
        if !accepting && !stopping {
            log.log(.notice, "starting worker processes again: the new binary is gone")
            accepting = true
            _ = startWorkers()
        }
    }
}
