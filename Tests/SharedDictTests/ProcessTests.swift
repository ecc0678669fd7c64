import Glibc
import SharedDict
import Testing

/// Several processes on one zone: exact counts under contention, and a holder killed inside the lock.
/// Children only touch the zone (no allocation, no Swift runtime locks) and leave with `_exit`.
@Suite(.serialized) struct ProcessTests {
    static let counterKey: [UInt8] = Array("counter".utf8)

    @Test func twoProcessesIncrementExactly() {
        let z = TestZone()
        let key = Self.counterKey
        // Warm every code path the children use, in the parent.
        _ = key.withUnsafeBytes { z.dict.incr($0, by: 0, initial: 0, now: 1) }
        let rounds = 100_000
        let children = (0..<2).map { _ in
            spawn {
                key.withUnsafeBytes { k in
                    for _ in 0..<rounds { _ = z.dict.incr(k, by: 1, initial: 0, now: 1) }
                }
            }
        }
        for c in children { #expect(exitStatus(c) == 0) }
        let total = key.withUnsafeBytes { z.dict.incr($0, by: 0, now: 1) }
        #expect(total == .success(Incremented(value: Double(2 * rounds), forcible: false)))
        #expect(z.dict.verify() == nil)
    }

    @Test(arguments: [false, true])
    func holderKilledInsideTheLock(corrupting: Bool) {
        let z = TestZone()
        z.set("before", "1")
        let key = Self.counterKey
        _ = key.withUnsafeBytes { z.dict.incr($0, by: 0, initial: 0, now: 1) }
        let holder = spawn { z.dict.lockAndHang(corrupting: corrupting) }
        usleep(100_000)  // the holder is parked inside the lock
        let worker = spawn {
            key.withUnsafeBytes { k in
                for _ in 0..<1000 { _ = z.dict.incr(k, by: 1, initial: 0, now: 1) }
            }
        }
        usleep(100_000)
        kill(holder, SIGKILL)
        #expect(exitStatus(holder) & 0x7f == SIGKILL)
        #expect(exitStatus(worker) == 0)  // it got the lock once the holder died
        #expect(z.dict.verify() == nil)
        let stats = z.dict.stats
        #expect(stats.recoveries == 1)
        #expect(stats.resets == (corrupting ? 1 : 0))
        if !corrupting {
            #expect(z.get("before") == "1")
            #expect(
                key.withUnsafeBytes { z.dict.incr($0, by: 0, now: 1) }
                    == .success(Incremented(value: 1000, forcible: false))
            )
        }
    }
}
