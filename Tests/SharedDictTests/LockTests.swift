import Glibc
import SharedDict
import Testing

/// The lock word's own paths: the pid a forked child writes, the master's release of a reaped worker's lock,
/// and a parent waiting on its own dead child that is not reaped yet.
@Suite(.serialized) struct LockTests {
    /// The exit status of `pid`, leader of its own process group, or nil when it has not ended within 10 s
    /// (the whole group is killed then).
    func groupExitStatus(_ pid: pid_t) -> Int32? {
        var status: Int32 = 0
        for _ in 0..<1000 {
            if waitpid(pid, &status, WNOHANG) == pid { return status }
            usleep(10_000)
        }
        kill(-pid, SIGKILL)
        waitpid(pid, &status, 0)
        return nil
    }

    /// Polls `condition` for up to 5 s.
    func eventually(_ condition: () -> Bool) -> Bool {
        for _ in 0..<500 {
            if condition() { return true }
            usleep(10_000)
        }
        return false
    }

    @Test func aForkedChildLocksWithItsOwnPidAndTheReaperReleasesIt() throws {
        let z = TestZone()
        z.set("before", "1")  // this process has locked: its pid is cached before the fork
        #expect(z.dict.lockOwner == 0)
        let holder = spawn { z.dict.lockAndHang() }
        #expect(eventually { z.dict.lockOwner != 0 })
        let owner = z.dict.lockOwner
        kill(holder, SIGKILL)
        #expect(exitStatus(holder) & 0x7f == SIGKILL)
        // A wrong pid (the parent's, cached before the fork) would wedge every lock below.
        try #require(owner == holder)
        #expect(!z.dict.releaseLock(ofDead: getpid()))  // not the owner: nothing happens
        #expect(z.dict.releaseLock(ofDead: holder))
        #expect(z.dict.lockOwner == 0)
        #expect(!z.dict.releaseLock(ofDead: holder))
        #expect(z.dict.stats.recoveries == 1)
        #expect(z.dict.stats.resets == 0)
        #expect(z.get("before") == "1")
    }

    @Test func aParentWaitingOnItsUnreapedDeadChildTakesTheLockOver() throws {
        let z = TestZone()
        z.set("before", "1")
        // The waiter is a child in a group of its own, so that a wedge ends in a kill rather than a hung test.
        let waiter = spawn {
            setpgid(0, 0)
            let holder = spawn { z.dict.lockAndHang(corrupting: true) }
            while z.dict.lockOwner != holder { usleep(1000) }
            kill(holder, SIGKILL)  // a zombie from here: kill(holder, 0) still succeeds
            _ = z.dict.verify()
            _exit(z.dict.stats.recoveries == 1 && z.dict.stats.resets == 1 ? 0 : 1)
        }
        setpgid(waiter, waiter)  // as the child does, whichever runs first
        try #require(groupExitStatus(waiter) == 0)  // else the lock may still be held: touch nothing
        #expect(z.dict.lockOwner == 0)
        #expect(z.dict.verify() == nil)
        #expect(z.get("before") == nil)  // the broken zone was emptied
    }
}
