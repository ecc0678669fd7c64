import Glibc

/// The zone's lock: one process-shared robust pthread mutex inside the header.
///
/// A process that dies holding it (a crash, SIGKILL) cannot wedge the others: the kernel hands the mutex to
/// the next locker with `EOWNERDEAD`, which marks it consistent and then checks the structure. If the dead
/// owner was not changing anything (`busy` is 0) the zone is used as it is; otherwise the full structure
/// check runs, and a zone it finds broken is emptied (its entries are lost, never the other processes).
extension Zone {
    private var mutex: UnsafeMutablePointer<pthread_mutex_t> {
        (base + Header.mutex).assumingMemoryBound(to: pthread_mutex_t.self)
    }

    /// Initialises the mutex (process-shared, robust) in freshly mapped memory.
    func initializeLock() -> Int32 {
        var attr = pthread_mutexattr_t()
        pthread_mutexattr_init(&attr)
        defer { pthread_mutexattr_destroy(&attr) }
        pthread_mutexattr_setpshared(&attr, Int32(PTHREAD_PROCESS_SHARED))
        pthread_mutexattr_setrobust(&attr, Int32(PTHREAD_MUTEX_ROBUST))
        return pthread_mutex_init(mutex, &attr)
    }

    /// Takes the lock, recovering from a dead owner, and marks the structure busy.
    @inline(__always) func lock() {
        let r = pthread_mutex_lock(mutex)
        if r != 0 { lockFailed(r) }
        setU32(Header.busy, 1)
    }

    /// Marks the structure consistent and releases the lock.
    @inline(__always) func unlock() {
        setU32(Header.busy, 0)
        pthread_mutex_unlock(mutex)
    }

    /// Runs `body` under the lock.
    @inline(__always) func locked<R>(_ body: () -> R) -> R {
        lock()
        defer { unlock() }
        return body()
    }

    private func lockFailed(_ r: Int32) {
        guard r == EOWNERDEAD else { fatalError("shared dict: pthread_mutex_lock failed (\(r))") }
        pthread_mutex_consistent(mutex)
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
