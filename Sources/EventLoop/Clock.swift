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

    public init() { update() }

    /// Reads the system clocks (unless the clock is manual).
    public mutating func update() {
        guard !isManual else { return }
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        monotonicMs = Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
        clock_gettime(CLOCK_REALTIME, &ts)
        wallMs = Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }

    /// Moves a manual clock forward.
    public mutating func advance(byMs ms: Int64) {
        monotonicMs += ms
        wallMs += ms
    }
}
