import Glibc
import Testing

@testable import EventLoop

/// The timer heap and the loop's manual clock: order, re-arming, cancelling, nothing kept after cancel.
@Suite struct TimerTests {
    @Test func firesInDeadlineOrderWithAManualClock() throws {
        let loop = try EventLoop()
        loop.clock.isManual = true
        var fired: [Int] = []
        let timers = (0..<50).map { i in ActionTimer { fired.append(i) } }
        for (i, t) in timers.enumerated() { loop.arm(t, afterMs: Int64((i * 37) % 50)) }
        loop.advance(byMs: 24)
        #expect(fired.count == 25)
        loop.advance(byMs: 100)
        #expect(fired.count == 50)
        let deadlines = fired.map { ($0 * 37) % 50 }
        #expect(deadlines == deadlines.sorted())
        #expect(loop.armedTimers == 0)
    }

    @Test func rearmingMovesAndCancelRemoves() throws {
        let loop = try EventLoop()
        loop.clock.isManual = true
        var count = 0
        let a = ActionTimer { count += 1 }
        let b = ActionTimer { count += 10 }
        loop.arm(a, afterMs: 10)
        loop.arm(b, afterMs: 20)
        loop.arm(a, afterMs: 30)  // re-armed: one entry, later
        #expect(loop.armedTimers == 2)
        loop.cancel(b)
        #expect(loop.armedTimers == 1)
        loop.advance(byMs: 25)
        #expect(count == 0)
        loop.advance(byMs: 5)
        #expect(count == 1)
        #expect(!a.isArmed && !b.isArmed)
    }

    @Test func cancellingManyLeavesTheHeapEmpty() throws {
        let loop = try EventLoop()
        loop.clock.isManual = true
        let timers = (0..<1000).map { _ in ActionTimer {} }
        for (i, t) in timers.enumerated() { loop.arm(t, afterMs: Int64(i % 97)) }
        for t in timers.reversed() where t.deadline % 2 == 0 { loop.cancel(t) }
        for t in timers where t.isArmed { loop.cancel(t) }
        #expect(loop.armedTimers == 0)
    }
}

/// A timer re-armed for "now" from its own callback fires once per iteration, never in a loop.
@Suite struct TimerStarvationTests {
    @Test func zeroDelayRearmFiresOncePerIteration() throws {
        let loop = try EventLoop()
        var count = 0
        var timer: ActionTimer!
        timer = ActionTimer {
            count += 1
            loop.arm(timer, afterMs: 0)
        }
        loop.arm(timer, afterMs: 0)
        loop.runOnce(maxWaitMs: 0)
        #expect(count == 1)
        loop.runOnce(maxWaitMs: 0)
        #expect(count == 2)
        loop.cancel(timer)
        loop.runOnce(maxWaitMs: 0)
        #expect(count == 2)
    }

    @Test func cancelledByAnEarlierCallbackInTheSamePassDoesNotFire() throws {
        let loop = try EventLoop()
        loop.clock.isManual = true
        var fired: [String] = []
        let b = ActionTimer { fired.append("b") }
        let a = ActionTimer {
            fired.append("a")
            loop.cancel(b)
        }
        loop.arm(a, afterMs: 5)
        loop.arm(b, afterMs: 6)
        loop.advance(byMs: 10)
        #expect(fired == ["a"])
    }
}

/// The loop's clock: the per-iteration tick reads the monotonic clock and derives the wall clock from it.
@Suite struct ClockTests {
    static func realtimeMs() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }

    @Test func theTickKeepsTheWallClockWithinAFewMillisecondsOfTheSystems() {
        var clock = CachedClock()
        for _ in 0..<3 {
            clock.tick()
            #expect(abs(clock.wallMs - ClockTests.realtimeMs()) < 50)
            usleep(20_000)
        }
        let before = clock.monotonicMs
        usleep(20_000)
        clock.tick()
        #expect(clock.monotonicMs >= before + 19)
        clock.update()
        #expect(abs(clock.wallMs - ClockTests.realtimeMs()) < 50)
    }

    @Test func theHeapsNextDeadlineFollowsInsertAndRemove() throws {
        let loop = try EventLoop()
        loop.clock.isManual = true
        let a = ActionTimer {}
        let b = ActionTimer {}
        loop.arm(a, afterMs: 30)
        loop.arm(b, afterMs: 10)
        #expect(loop.nextTimerDeadline == loop.now + 10)
        loop.cancel(b)
        #expect(loop.nextTimerDeadline == loop.now + 30)
        loop.cancel(a)
        #expect(loop.nextTimerDeadline == Int64.max)
    }
}
