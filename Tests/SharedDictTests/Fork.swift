import Glibc

/// Forks a child running `body`, which must not return normally (the process tests' children leave with
/// `_exit`: no Swift runtime teardown in a forked copy).
func spawn(_ body: () -> Void) -> pid_t {
    let pid = fork()
    if pid == 0 {
        body()
        _exit(0)
    }
    return pid
}

/// Waits for `pid` and returns its raw wait status.
func exitStatus(_ pid: pid_t) -> Int32 {
    var status: Int32 = 0
    waitpid(pid, &status, 0)
    return status
}
