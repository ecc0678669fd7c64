import Glibc

/// The loop's cached clock: monotonic milliseconds for timers and wall-clock time for `ngx.now()`.
/// Refreshed once per loop iteration (and by `ngx.update_time()`); tests may set it by hand.
public struct CachedClock {
    /// Monotonic milliseconds, the time base of every timer.
    public private(set) var monotonicMs: Int64 = 0
    /// Wall-clock milliseconds since the epoch.
    public private(set) var wallMs: Int64 = 0
    /// When set, `update()` leaves the time alone: a manual clock for tests.
    public var isManual = false
    /// `wallMs - monotonicMs` when the wall clock was last read, and the monotonic time of that read.
    private var wallOffset: Int64 = 0
    private var wallReadAt: Int64 = 0
    /// How long the wall clock is derived from the monotonic one before it is read again.
    static let wallReadEveryMs: Int64 = 1000

    public init() { update() }

    /// Reads both system clocks (unless the clock is manual): `ngx.update_time()`.
    public mutating func update() {
        guard !isManual else { return }
        monotonicMs = read(CLOCK_MONOTONIC)
        readWall()
    }

    /// The loop's refresh, once per iteration: the monotonic clock, and the wall clock derived from it,
    /// read again at most a second later (one system clock read per iteration, not two). The two advance at the
    /// same rate but for NTP's slewing (at most 0.5 ms a second); a step of the wall clock shows within a
    /// second, or at the next `ngx.update_time()`.
    @inline(__always) public mutating func tick() {
        guard !isManual else { return }
        monotonicMs = read(CLOCK_MONOTONIC)
        if monotonicMs &- wallReadAt < CachedClock.wallReadEveryMs {
            wallMs = monotonicMs &+ wallOffset
        } else {
            readWall()
        }
    }

    private mutating func readWall() {
        wallMs = read(CLOCK_REALTIME)
        wallOffset = wallMs &- monotonicMs
        wallReadAt = monotonicMs
    }

    /// The `timespec` clock_gettime fills: kept here, not on the stack (a local whose address is taken costs
    /// a stack-protector check per call).
    private var ts = timespec()

    @inline(__always) private mutating func read(_ clock: clockid_t) -> Int64 {
        clock_gettime(clock, &ts)
        return Int64(ts.tv_sec) &* 1000 &+ Int64(ts.tv_nsec) / 1_000_000
    }

    /// Moves a manual clock forward.
    public mutating func advance(byMs ms: Int64) {
        monotonicMs += ms
        wallMs += ms
    }
}
