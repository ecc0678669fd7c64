import CShim
import Glibc

/// Something that owns a file descriptor registered with the loop. A class (not a protocol) so the loop can
/// keep handlers as unmanaged references and dispatch without reference counting on the hot path. It is also
/// a `Timer`: each handler has one built-in timer slot (a session's read/idle/send deadline), which saves an
/// object per connection; override `fire()` to use it.
open class EventHandler: Timer {
    public override init() { super.init() }

    /// Called with the epoll event bits (`Events`) when the descriptor is ready.
    open func handleEvent(_ events: UInt32) {}
}

/// epoll event bits as the loop reports them.
public enum Events {
    public static let read = UInt32(TL_EPOLLIN)
    public static let write = UInt32(TL_EPOLLOUT)
    public static let error = UInt32(TL_EPOLLERR)
    public static let hangup = UInt32(TL_EPOLLHUP)
    public static let readHangup = UInt32(TL_EPOLLRDHUP)
    public static let exclusive = UInt32(1) << 28
    public static let edge = UInt32(bitPattern: Int32(truncatingIfNeeded: TL_EPOLLET))
}

/// One thread's event loop: epoll readiness, a timer heap and a cached clock. Everything a worker does
/// runs from `run()`; nothing here is thread-safe.
public final class EventLoop {
    private let epfd: Int32
    /// Per descriptor, its handler, retained once on `register` and released after the iteration that
    /// deregisters it (a handler may deregister itself while it runs), and the generation of its registration,
    /// carried in the epoll data beside the fd (nginx's `instance` bit): an event queued for a closed fd never
    /// reaches a new handler that got the same number. Plain memory, `slotCount` of them (no array checks on
    /// the dispatch).
    private var slots: UnsafeMutablePointer<Slot>
    private var slotCount = 0
    private struct Slot {
        var handler: Unmanaged<EventHandler>?
        var generation: UInt32
    }
    private var generation: UInt32 = 0
    private var released: [Unmanaged<EventHandler>] = []
    /// Objects kept alive until the current iteration ends (a session that ended inside its own callback).
    private var releasedObjects: [AnyObject] = []
    private var timers = TimerHeap()
    /// Timers found due in one pass; fired after the pass, so one re-armed for "now" waits for the next
    /// iteration (an `ngx.sleep(0)` loop must not starve epoll).
    private var due: [Timer] = []
    /// epoll_wait's result array, `struct epoll_event` as the kernel writes it (packed on x86-64: 12 bytes,
    /// the events then the 64-bit data), read in place (plain memory: no uniqueness check per iteration).
    private let events: UnsafeMutableRawPointer
    private static let maxEvents = 256
    /// `sizeof(struct epoll_event)` and the offset of its data (12 and 4 on x86-64).
    private let eventStride = Int(tl_epoll_event_size())
    private let eventDataOffset = Int(tl_epoll_event_data_offset())
    public var clock = CachedClock()
    public private(set) var isRunning = false

    public init() throws(SysError) {
        let fd = tl_epoll_create()
        guard fd >= 0 else { throw SysError("epoll_create1") }
        epfd = fd
        events = UnsafeMutableRawPointer.allocate(byteCount: EventLoop.maxEvents * eventStride, alignment: 8)
        slots = UnsafeMutablePointer<Slot>.allocate(capacity: 1)
    }

    deinit {
        close(epfd)
        events.deallocate()
        slots.deallocate()
    }

    /// Room for descriptors up to `fd` (and 63 more).
    private func growSlots(to fd: Int) {
        let count = fd + 64
        let grown = UnsafeMutablePointer<Slot>.allocate(capacity: count)
        grown.moveInitialize(from: slots, count: slotCount)
        (grown + slotCount).initialize(repeating: Slot(handler: nil, generation: 0), count: count - slotCount)
        slots.deallocate()
        slots = grown
        slotCount = count
    }

    @inlinable public var now: Int64 { clock.monotonicMs }

    // MARK: descriptors

    /// Registers `fd` edge-triggered for read, write and peer hang-up.
    public func register(_ fd: Int32, _ handler: EventHandler, events: UInt32? = nil) throws(SysError) {
        let ev = events ?? (Events.read | Events.write | Events.readHangup | Events.edge)
        if Int(fd) >= slotCount { growSlots(to: Int(fd)) }
        generation &+= 1
        guard tl_epoll_add(epfd, fd, ev, data(fd, generation)) == 0 else { throw SysError("epoll_ctl(ADD)") }
        slots[Int(fd)] = Slot(handler: Unmanaged.passRetained(handler), generation: generation)
    }

    /// Changes the events watched on a registered `fd`.
    public func modify(_ fd: Int32, events: UInt32) {
        _ = tl_epoll_mod(epfd, fd, events, data(fd, Int(fd) < slotCount ? slots[Int(fd)].generation : 0))
    }

    @inline(__always) private func data(_ fd: Int32, _ generation: UInt32) -> UInt64 {
        UInt64(UInt32(bitPattern: fd)) | UInt64(generation) << 32
    }

    /// Stops watching `fd`. `closing`: the caller closes it right after, which removes it from epoll by itself
    /// (one system call less per connection); only for descriptors no other process shares.
    public func deregister(_ fd: Int32, closing: Bool = false) {
        if !closing { _ = tl_epoll_del(epfd, fd) }
        if Int(fd) >= 0 && Int(fd) < slotCount, let h = slots[Int(fd)].handler {
            released.append(h)
            slots[Int(fd)].handler = nil
        }
    }

    /// Keeps `object` alive until the current iteration ends.
    public func releaseLater(_ object: AnyObject) { releasedObjects.append(object) }

    /// Calls `body` with every registered handler (for a graceful stop: not a hot path).
    public func forEachHandler(_ body: (EventHandler) -> Void) {
        for i in 0..<slotCount { if let h = slots[i].handler { body(h.takeUnretainedValue()) } }
    }

    // MARK: timers

    /// Arms (or re-arms) `timer` to fire `ms` milliseconds from the cached now.
    /// A timer already in the heap at or before the new deadline stays where it is (see `Timer.heapDeadline`).
    public func arm(_ timer: Timer, afterMs ms: Int64) {
        timer.isDue = false
        let d = clock.monotonicMs &+ min(max(0, ms), Int64(1) << 50)
        timer.deadline = d
        if timer.heapIndex >= 0 {
            if d >= timer.heapDeadline { return }
            timers.remove(timer)
        }
        timer.heapDeadline = d
        timers.insert(timer)
    }

    /// Cancels `timer` and takes it off the heap (it is no longer referenced by the loop).
    @inlinable public func cancel(_ timer: Timer) {
        if timer.heapIndex >= 0 { removeFromHeap(timer) }
        timer.isDue = false
    }

    @usableFromInline func removeFromHeap(_ timer: Timer) { timers.remove(timer) }

    /// Cancels `timer` lazily: it stays in the heap (referenced by the loop) until its place there passes or
    /// it is armed again, which then costs no heap operation. For a timer its owner re-arms soon (a
    /// connection's read side between requests); `cancel` before the owner goes away.
    @inlinable public func disarm(_ timer: Timer) {
        timer.isDue = false
        if timer.heapIndex >= 0 { timer.disarmInHeap() }
    }

    public var armedTimers: Int { timers.count }
    /// When the first armed timer is due (`Int64.max` with none).
    public var nextTimerDeadline: Int64 { timers.nextDeadline }

    // MARK: running

    /// Runs until `stop()`.
    public func run() {
        isRunning = true
        while isRunning { runOnce() }
    }

    public func stop() { isRunning = false }

    /// One iteration: wait for readiness or the next deadline, dispatch, then fire due timers.
    public func runOnce(maxWaitMs: Int32 = -1) {
        var timeout: Int32 = maxWaitMs
        let next = timers.nextDeadline
        if next != Int64.max {
            let d = max(0, next - clock.monotonicMs)
            let capped = Int32(min(d, Int64(Int32.max)))
            timeout = timeout < 0 ? capped : min(timeout, capped)
        }
        let n = Int(tl_epoll_wait(epfd, events, Int32(EventLoop.maxEvents), timeout))
        clock.tick()
        var i = 0
        while i < n {
            let e = events + i &* eventStride
            let bits = e.loadUnaligned(as: UInt32.self)
            let data = e.loadUnaligned(fromByteOffset: eventDataOffset, as: UInt64.self)
            let fd = Int(data & 0xffff_ffff)
            if fd < slotCount {
                let slot = slots[fd]
                if slot.generation == UInt32(truncatingIfNeeded: data >> 32), let h = slot.handler {
                    h._withUnsafeGuaranteedRef { $0.handleEvent(bits) }
                }
            }
            i += 1
        }
        if timers.nextDeadline <= clock.monotonicMs { fireTimers() }
        if !released.isEmpty {
            for h in released { h.release() }
            released.removeAll(keepingCapacity: true)
        }
        if !releasedObjects.isEmpty { releasedObjects.removeAll(keepingCapacity: true) }
    }

    private func fireTimers() {
        let now = clock.monotonicMs
        while let t = timers.first, t.heapDeadline <= now {
            timers.remove(t)
            if t.deadline == Timer.disarmed { continue }
            if t.deadline > now {  // re-armed later while in the heap: back at its real deadline
                t.heapDeadline = t.deadline
                timers.insert(t)
                continue
            }
            t.isDue = true
            due.append(t)
        }
        guard !due.isEmpty else { return }
        var i = 0
        while i < due.count {  // a callback may cancel or re-arm a timer still in the list: then it does not fire
            let t = due[i]
            i += 1
            if t.isDue {
                t.isDue = false
                t.fire()
            }
        }
        due.removeAll(keepingCapacity: true)
    }

    /// For tests with a manual clock: advance and fire what is due.
    public func advance(byMs ms: Int64) {
        clock.advance(byMs: ms)
        fireTimers()
    }
}
