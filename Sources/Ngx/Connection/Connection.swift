import Config
import EventLoop
import Glibc

/// Who owns a connection and hears when it is gone: the session for a client connection (a cosocket next).
protocol ConnectionOwner: AnyObject {
    /// The descriptor is closed (after draining and lingering, a timeout, an error, or at once): nothing
    /// more will happen on this connection.
    func connectionClosed(_ c: Connection)
    /// The peer hung up (FIN or reset) while nobody waits to read: `lua_check_client_abort`'s event.
    func peerHungUpWhileNotRead(_ c: Connection)
    /// The write side's timer passed with output unsent; true when the owner dealt with it (a cosocket
    /// resumes its writer with "timeout"), false for the client connection's send_timeout handling.
    func connectionSendTimedOut(_ c: Connection) -> Bool
}

extension ConnectionOwner {
    func peerHungUpWhileNotRead(_ c: Connection) {}
    func connectionSendTimedOut(_ c: Connection) -> Bool { false }
}

/// A socket on the loop with a read side and a write side, each with its own waiter and timer (nginx's read
/// and write events), an input buffer and the output not yet sent. The read side's timer is the
/// connection itself (the loop handler's built-in slot); the write side's is allocated the first time
/// output has to wait.
///
///     open ──finish()──▶ draining (unsent output, send_timeout) ──▶ lingering (client bytes unread) ──▶ closed
///       └──send timeout / write error / abort()──────────────────────────────────────────────────────┘
///
/// A client connection and its session are one object (`Session` is a `Connection`: one allocation, nginx's
/// request context); a cosocket's upstream connection is a plain `Connection`.
class Connection: EventHandler {
    // Stored properties are ordered so the small ones fill each other's padding (Swift lays a class out in
    // declaration order): 200 bytes, malloc's 208-byte chunk (232 in the plain order).

    /// Edge-triggered readiness. Reading starts at the first EPOLLIN; writing is assumed possible until a
    /// write reports EAGAIN, and only then is EPOLLOUT watched.
    var readable = false
    var writable = true
    var watchingWrite = false
    let fd: Int32
    var readError: Int32 = 0
    /// The runtime's buffer pool and print limit (`sendLimit`), copied so the hot path reads them without
    /// touching it. A limit of 0 means the session is over (`log_by_lua*` runs): the fast paths decline, the
    /// classic refuse.
    let pool: UnsafeMutablePointer<BufferPool>
    /// The loop, reached without reference counting.
    let loopRef: Unmanaged<EventLoop>
    unowned(unsafe) var owner: ConnectionOwner?
    /// Bytes read and not yet consumed (a pooled buffer while non-empty).
    final var input = ByteBuffer()
    /// The errno of the write that failed (0 = none).
    var writeError: Int32 = 0
    /// Bytes printed and not yet written (a pooled buffer while non-empty): flushed when the thread yields.
    final var output = ByteBuffer()
    private var sendTimeout32: Int32
    /// The peer sent FIN (or the socket failed): a short read no longer means the socket is drained.
    var peerClosed = false
    var eof = false
    /// Output can no longer be sent (write error, send timeout): what is printed is dropped.
    var outputClosed = false { didSet { unpublishOutput() } }
    /// `ngx.eof()` (or the client socket's `shutdown("send")`): nothing more is printed, and the write side
    /// is shut once the output is sent.
    var eofSent = false { didSet { unpublishOutput() } }
    /// send_timeout passed with output unsent.
    var sendTimedOut = false
    private(set) var closed = false { didSet { unpublishOutput() } }
    var state = State.open
    /// How a close with client bytes unread is done (`lingering_close`, `lingering_time`, `lingering_timeout`).
    var linger = LingerSettings()
    private var sendLimit32: Int32
    /// The thread waiting on each side (unmanaged: the session owns its threads; no reference counting).
    var readerRef: Unmanaged<LuaThread>?
    var writerRef: Unmanaged<LuaThread>?
    private var writeTimer: WriteTimer?
    /// Counters of the current light session (the access log's `$bytes_sent`, `$bytes_received`).
    var bytesSent = 0
    var bytesReceived = 0
    /// When lingering must end at the latest (loop milliseconds).
    var lingerDeadline: Int64 = 0

    static let readEvents = Events.read | Events.readHangup | Events.edge
    /// The runtime (the process's one: not stored, W4 counts bytes per idle connection).
    var runtime: NgxRuntime { NgxRuntime.shared }
    var sendLimit: Int {
        @inline(__always) get { Int(sendLimit32) }
        set { sendLimit32 = Int32(clamping: newValue) }
    }
    var reader: LuaThread? {
        get { readerRef?.takeUnretainedValue() }
        set { readerRef = newValue.map { Unmanaged.passUnretained($0) } }
    }
    var writer: LuaThread? {
        get { writerRef?.takeUnretainedValue() }
        set { writerRef = newValue.map { Unmanaged.passUnretained($0) } }
    }
    var sendTimeoutMs: Int64 {
        get { Int64(sendTimeout32) }
        set { sendTimeout32 = Int32(clamping: newValue) }
    }

    enum State {
        case open
        /// The owner is done: unsent output drains (bounded by send_timeout), then lingering or close.
        case draining
        /// Write side shut down; client bytes are read and discarded until it closes or the bounds pass.
        case lingering
        /// An idle upstream connection in a cosocket keepalive pool: any readable event (bytes, a close) or
        /// its idle timer closes it.
        case pooled
    }

    /// `detached`: no socket, closed from the start (a timer session's: OpenResty's fake connection).
    init(fd: Int32, runtime: NgxRuntime, sendTimeoutMs: Int64, detached: Bool = false) {
        self.fd = fd
        sendTimeout32 = Int32(clamping: sendTimeoutMs)
        pool = runtime.pool
        sendLimit32 = Int32(clamping: runtime.sendLimit)
        loopRef = Unmanaged.passUnretained(runtime.loop)
        closed = detached
        outputClosed = detached
        super.init()
    }

    // MARK: events

    override func handleEvent(_ events: UInt32) {
        // The hot path: only bytes came (no hang-up, no write event) to an open connection whose one waiter reads.
        if events == Events.read, state == .open, !closed, writerRef == nil, let r = readerRef {
            readable = true
            // A keepalive connection's next request: its wait called without dispatch (and without a closure
            // around it: the thread is reached through `r` only where it is needed).
            if r._withUnsafeGuaranteedRef({ $0.parkedOn == NextRequestWait.self }) {
                return NextRequestWait.ready(r, self)
            }
            return r._withUnsafeGuaranteedRef { $0.suspensionReady() }
        }
        handleEvents(events)
    }

    /// Every other event: a hang-up, the socket writable again, a connection draining, lingering or pooled.
    @inline(never) private func handleEvents(_ events: UInt32) {
        if events & (Events.read | Events.hangup | Events.error | Events.readHangup) != 0 { readable = true }
        if events & (Events.hangup | Events.error | Events.readHangup) != 0 { peerClosed = true }
        if events & (Events.write | Events.error | Events.hangup) != 0 {
            writable = true
            if output.readable > 0 { flushOutput() }
        }
        guard !closed else { return }
        switch state {
        case .open:
            if readable, let r = readerRef {
                r._withUnsafeGuaranteedRef { $0.suspensionReady() }
            } else if peerClosed, readerRef == nil {
                owner?.peerHungUpWhileNotRead(self)
            }
            if let w = writerRef, output.readable < sendLimit || outputClosed {
                w._withUnsafeGuaranteedRef { $0.suspensionReady() }
            }
        case .draining:
            if output.readable == 0 || outputClosed { drained() }
        case .lingering:
            lingerRead()
        case .pooled:
            if readable || peerClosed { close() }
        }
    }

    /// The read side's timer (the built-in slot): the reader's wait passed, or lingering is over.
    override func fire() {
        if state == .lingering || state == .pooled {
            close()
        } else if let r = readerRef {
            r._withUnsafeGuaranteedRef { $0.suspensionTimedOut() }
        }
    }

    /// The loop's cached wall clock (ms).
    @inline(__always) var wallMs: Int64 { loopRef._withUnsafeGuaranteedRef { $0.clock.wallMs } }

    /// Arms the read side's timer.
    func armRead(_ ms: Int64) { loopRef._withUnsafeGuaranteedRef { $0.arm(self, afterMs: ms) } }
    func cancelRead() { loopRef._withUnsafeGuaranteedRef { $0.cancel(self) } }
    /// Cancels the read side's timer lazily (`EventLoop.disarm`): for a wait that ends while the connection
    /// stays open and the next one re-arms it (`close()` cancels it for real).
    func disarmRead() { loopRef._withUnsafeGuaranteedRef { $0.disarm(self) } }

    // MARK: write side timer: send_timeout bounds unsent output in every state of the owner

    /// Output is unsent: (re)arm send_timeout, counted from the last write progress, as nginx does.
    func armWriteTimer() {
        let t = writeTimer ?? WriteTimer(self)
        writeTimer = t
        loopRef._withUnsafeGuaranteedRef { $0.arm(t, afterMs: sendTimeoutMs) }
    }

    var hasWriteTimerArmed: Bool { writeTimer?.isArmed ?? false }

    func cancelWriteTimer() {
        if let t = writeTimer { loopRef._withUnsafeGuaranteedRef { $0.cancel(t) } }
    }

    /// send_timeout passed with output unsent: the client is gone for practical purposes. Logged as nginx
    /// does; the connection closes, and every wait on it returns "closed" (a waiting print, "timeout").
    func sendTimeout() {
        if let o = owner, o.connectionSendTimedOut(self) { return }
        runtime.log.log(
            .info,
            "client timed out (110: Connection timed out) while sending to client",
            connection: number,
            context: logContext
        )
        sendTimedOut = true
        outputClosed = true
        close()
    }

    // MARK: closing

    /// The owner is done with the connection: drain unsent output, linger if client bytes are unread,
    /// then close.
    func finish() {
        guard !closed, state == .open else { return }
        flush()
        state = .draining
        if output.readable == 0 || outputClosed { drained() }
    }

    private func drained() {
        cancelWriteTimer()
        if shouldLinger { startLingering() } else { close() }
    }

    /// Closes now, whatever is unsent or unread.
    func close() {
        guard !closed else { return }
        closed = true
        loopRef._withUnsafeGuaranteedRef { $0.cancel(self) }
        cancelWriteTimer()
        loopRef._withUnsafeGuaranteedRef { $0.deregister(fd, closing: true) }
        Sys.close(fd)
        pool.pointee.give(&input)
        pool.pointee.give(&output)
        owner?.connectionClosed(self)
        if let r = readerRef { r._withUnsafeGuaranteedRef { $0.suspensionReady() } }
        if let w = writerRef { w._withUnsafeGuaranteedRef { $0.suspensionReady() } }
    }

    /// For log lines: the connection number and client/server context come from the owner.
    var number: Int { (owner as? Session)?.number ?? 0 }
    var logContext: String { (owner as? Session)?.logContext ?? "" }
}

/// The write side's timer.
final class WriteTimer: Timer {
    unowned(unsafe) let connection: Connection
    init(_ c: Connection) {
        connection = c
        super.init()
    }
    override func fire() { connection.sendTimeout() }
}

/// `lingering_close`, `lingering_time`, `lingering_timeout` of the server, in milliseconds.
struct LingerSettings {
    var mode = LingeringClose.on
    private var time32: Int32 = 30_000
    private var timeout32: Int32 = 5_000
    var timeMs: Int64 {
        get { Int64(time32) }
        set { time32 = Int32(clamping: newValue) }
    }
    var timeoutMs: Int64 {
        get { Int64(timeout32) }
        set { timeout32 = Int32(clamping: newValue) }
    }

    init() {}

    init(mode: LingeringClose, timeMs: Int64, timeoutMs: Int64) {
        self.mode = mode
        self.timeMs = timeMs
        self.timeoutMs = timeoutMs
    }
}
