import CAtomicLock
import Glibc

/// The zone's lock: a 32-bit word in the header holding 0 (free) or the owner's pid, nginx's `ngx_shmtx`.
///
/// Uncontended, a lock is one compare-and-swap 0 → pid and an unlock one release store of 0, all inlined from
/// `CAtomicLock` (the robust pthread mutex it replaced took glibc's slow `__pthread_mutex_lock_full` path,
/// ~113 instructions a pair). A waiter spins a little with `pause`, then yields the CPU between tries, and now
/// and then asks whether the owner still lives. A process that died holding the lock (a crash, SIGKILL) is
/// found so (`tl_lock_owner_dead`), and the one waiter whose compare-and-swap dead pid → own pid succeeds
/// recovers: if the dead owner was not changing anything (`busy` is 0) the zone is used as it is; otherwise the
/// full structure check runs, and a zone it finds broken is emptied (its entries are lost, never the other
/// processes). The master does the same for each worker it reaps (`releaseLock(ofDead:)`), before the pid can
/// be used again. The pid is cached per process and refreshed in every forked child (pthread_atfork).
extension Zone {
    /// Pauses of the longest spin before a yield: rounds of 1, 2, 4 … `maxSpin` pauses, each followed by a try.
    static let maxSpin = 64
    /// Yields between two checks of the owner's life (a power of two).
    static let yieldsPerOwnerCheck = 32

    @inline(__always) private var lockWord: UnsafeMutablePointer<UInt32> {
        (base + Header.lock).assumingMemoryBound(to: UInt32.self)
    }

    /// Sets the lock free in freshly mapped memory.
    func initializeLock() {
        tl_lock_release(lockWord)
    }

    /// Takes the lock, recovering from a dead owner, and marks the structure busy.
    @inline(__always) func lock() {
        let me = tl_lock_self()
        if tl_lock_try(lockWord, me) == 0 { waitForLock(me) }
        setU32(Header.busy, 1)
    }

    /// Marks the structure consistent and releases the lock.
    @inline(__always) func unlock() {
        setU32(Header.busy, 0)
        tl_lock_release(lockWord)
    }

    /// Runs `body` under the lock.
    @inline(__always) func locked<R>(_ body: () -> R) -> R {
        lock()
        defer { unlock() }
        return body()
    }

    /// The pid holding the lock, 0 when free.
    var lockOwner: pid_t { pid_t(bitPattern: tl_lock_owner(lockWord)) }

    /// The contended lock: spin, yield, and take the lock over from a dead owner.
    @inline(never) private func waitForLock(_ me: UInt32) {
        var yields = 0
        while true {
            var n = 1
            while n <= Zone.maxSpin {
                for _ in 0..<n { tl_cpu_pause() }
                if tl_lock_try(lockWord, me) != 0 { return }
                n <<= 1
            }
            sched_yield()
            if tl_lock_try(lockWord, me) != 0 { return }
            yields &+= 1
            if yields & (Zone.yieldsPerOwnerCheck - 1) == 0 {
                let owner = tl_lock_owner(lockWord)
                if owner != 0 && tl_lock_owner_dead(owner) != 0 && tl_lock_cas(lockWord, owner, me) != 0 {
                    recover()
                    return
                }
            }
        }
    }

    /// If the dead process `pid` holds the lock, takes it over, recovers and releases it; true when it did.
    /// For the master, which reaps the workers: until it is reaped a dead process keeps its pid, so no other
    /// process can have been given it.
    func releaseLock(ofDead pid: pid_t) -> Bool {
        guard pid > 0, tl_lock_cas(lockWord, UInt32(pid), tl_lock_self()) != 0 else { return false }
        recover()
        unlock()
        return true
    }

    /// Run by the process that took the lock over from a dead owner: counts the recovery, and empties the zone
    /// if the owner was changing the structure and left it broken.
    private func recover() {
        let recoveries = u32(Header.recoveries) &+ 1
        var resets = u32(Header.resets)
        if u32(Header.busy) != 0 && verify() != nil {
            resets &+= 1
            formatStructure(size: size)
        }
        setU32(Header.recoveries, recoveries)
        setU32(Header.resets, resets)
    }

    /// Test hook: takes the lock and never returns; with `corrupting`, first breaks the LRU list as a crash
    /// in the middle of an operation could. The caller is meant to be killed.
    func lockAndHang(corrupting: Bool) -> Never {
        lock()
        if corrupting { lruHead = heapEnd + 12345 }
        while true { pause() }
    }
}
