/// A one-shot timer owned by its user (a thread or a connection keeps one and re-arms it), so arming allocates
/// nothing. The heap holds it only while armed; cancelling removes it at once, so closed connections leave
/// nothing behind. Subclasses override `fire()` (no closure context per timer); `ActionTimer` runs a closure.
open class Timer {
    /// Absolute deadline in the loop's monotonic milliseconds (`Timer.disarmed` once disarmed lazily).
    public internal(set) final var deadline: Int64 = 0
    /// Where the heap has it: at most `deadline`. Re-arming later than that keeps the heap as it is (the
    /// timer is put back at `deadline` when `heapDeadline` passes): a connection re-armed per request
    /// touches the heap once per timeout, not per request.
    final var heapDeadline: Int64 = 0
    /// Position in the heap, -1 when not in it.
    @usableFromInline final var heapIndex: Int32 = -1
    /// Taken off the heap as due and about to fire (cancelling or re-arming clears it).
    @usableFromInline final var isDue = false
    public init() {}

    /// Called on the loop when the deadline passes.
    open func fire() {}

    public var isArmed: Bool { heapIndex >= 0 && deadline != Timer.disarmed }

    @usableFromInline final func disarmInHeap() { deadline = Timer.disarmed }

    /// The `deadline` of a timer disarmed lazily (still in the heap, dropped when its place there passes).
    static let disarmed = Int64.max
}

/// A timer that runs a closure (for the few timers that are not a thread's or a connection's).
public final class ActionTimer: Timer {
    private let action: () -> Void
    public init(_ action: @escaping () -> Void) {
        self.action = action
        super.init()
    }
    public override func fire() { action() }
}

/// A binary min-heap of timers by deadline with O(log n) removal (each timer knows its index).
/// Chosen over a lazily-cancelled heap so memory stays bounded under connection churn.
struct TimerHeap {
    private(set) var items: [Timer] = []
    /// The first timer's `heapDeadline`, `Int64.max` when empty: the loop's check per iteration, without
    /// touching a timer.
    private(set) var nextDeadline = Int64.max

    var first: Timer? { items.isEmpty ? nil : items[0] }
    var count: Int { items.count }

    mutating func insert(_ t: Timer) {
        t.heapIndex = Int32(items.count)
        items.append(t)
        siftUp(items.count - 1)
        nextDeadline = items[0].heapDeadline
    }

    mutating func remove(_ t: Timer) {
        let i = Int(t.heapIndex)
        guard i >= 0, i < items.count, items[i] === t else { return }
        let last = items.count - 1
        if i != last {
            items.swapAt(i, last)
            items[i].heapIndex = Int32(i)
        }
        items.removeLast()
        t.heapIndex = -1
        if i < items.count {
            siftDown(i)
            siftUp(i)
        }
        nextDeadline = items.isEmpty ? Int64.max : items[0].heapDeadline
    }

    private mutating func siftUp(_ start: Int) {
        var i = start
        while i > 0 {
            let p = (i - 1) / 2
            if items[p].heapDeadline <= items[i].heapDeadline { break }
            items.swapAt(p, i)
            items[p].heapIndex = Int32(p)
            items[i].heapIndex = Int32(i)
            i = p
        }
    }

    private mutating func siftDown(_ start: Int) {
        var i = start
        let n = items.count
        while true {
            let l = 2 * i + 1
            if l >= n { break }
            var m = l
            if l + 1 < n && items[l + 1].heapDeadline < items[l].heapDeadline { m = l + 1 }
            if items[i].heapDeadline <= items[m].heapDeadline { break }
            items.swapAt(i, m)
            items[i].heapIndex = Int32(i)
            items[m].heapIndex = Int32(m)
            i = m
        }
    }
}
