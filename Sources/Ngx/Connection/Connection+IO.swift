import CShim
import EventLoop
import Glibc

/// Outcome of trying to have enough input buffered.
enum FillResult {
    case ready
    case wait
    case closed
}

extension Connection {
    // MARK: input

    /// Reads until at least `want` bytes are buffered, the socket has nothing more, or it closed; `progress`
    /// tells whether any byte arrived (read timeouts count from the last read that brought bytes).
    /// Reads only into the free space of one pooled 16 KiB buffer, which grows (doubling) only as the bytes a
    /// receive asks for actually arrive: a client that floods is held back by TCP, and a huge length prefix
    /// commits no memory until its bytes come. A buffer that cannot grow ends the receive: "out of memory".
    @inline(__always) func fill(want: Int, progress: inout Bool) -> FillResult {
        if input.readable >= want { return .ready }
        if !readable && !eof && !closed { return .wait }  // nothing to read yet: no call
        return fillReading(want: want, progress: &progress)
    }

    /// `fill` when the bytes are not all buffered yet: in line in its callers (the keepalive read event's is
    /// one of the hot path's few function boundaries less), with growing the buffer and the read's other
    /// outcomes out of line.
    @inline(__always) func fillReading(want: Int, progress: inout Bool) -> FillResult {
        while input.readable < want {
            if eof || closed { return .closed }
            if !readable { return .wait }
            if !input.isAllocated { input = pool.pointee.take() }
            if input.writable == 0 && !growInput(want: want) { return .closed }
            let ask = input.writable
            let n = read(fd, input.writePointer, ask)
            if n > 0 {
                input.writeIndex &+= n
                bytesReceived &+= n
                progress = true
                if n < ask && !peerClosed { readable = false }
            } else {
                readEnded(n)
            }
        }
        return .ready
    }

    /// Room for the rest of a receive of `want` bytes; false (the receive ends: "out of memory") when the buffer
    /// cannot grow.
    @inline(never) private func growInput(want: Int) -> Bool {
        if input.reserve(min(want - input.readable, max(input.capacity, 4096))) { return true }
        eof = true
        readError = ENOMEM
        return false
    }

    /// A read that brought no bytes (`n` <= 0): the peer's FIN, the socket drained, an interrupted call (read
    /// again), or a failure.
    @inline(never) private func readEnded(_ n: Int) {
        switch n == 0 ? .eof : Sys.lastFailure() {
        case .eof: eof = true
        case .wouldBlock: readable = false
        case .failed(let e):
            eof = true
            readError = e
        case .bytes, nil: break  // interrupted: read again
        }
    }

    /// Where `input` is stored in this object (its storage: a final class's stored property is accessed in
    /// place), as the `tl_buffer` the Lua layer reads buffered bytes from (`tl_current_input`). Valid while the
    /// connection lives; `FastPathLayoutTests` checks that writes through it are `input`'s.
    var inputAddress: UnsafeMutablePointer<tl_buffer> {
        withUnsafeMutablePointer(to: &input) { UnsafeMutableRawPointer($0).assumingMemoryBound(to: tl_buffer.self) }
    }

    /// The same for `output`, published as `tl_current_output` while the output is open (`outputIsOpen`).
    var outputAddress: UnsafeMutablePointer<tl_buffer> {
        withUnsafeMutablePointer(to: &output) { UnsafeMutableRawPointer($0).assumingMemoryBound(to: tl_buffer.self) }
    }

    /// Whether printed bytes can still be buffered (the fast paths' condition; the classic print says why not).
    @inline(__always) var outputIsOpen: Bool { !(outputClosed || closed || eofSent) }

    /// The output closed while it may be published to the running thread's Lua layer: it is not any more, so
    /// the next print takes the classic path (which drops or refuses as it should).
    func unpublishOutput() {
        if tl_get_current_output() == outputAddress { tl_set_current_output(nil, 0) }
    }

    /// Returns the input buffer to the pool once it holds nothing.
    @inline(__always) func releaseInputIfEmpty() {
        if input.readable == 0 && input.isAllocated { pool.pointee.give(&input) }
    }

    // MARK: output

    /// Gives the output a buffer if it has none: the input's when it is allocated and empty (a request/response
    /// handler has just taken every byte: one pool take and give per request less), else a pooled one.
    @inline(__always) func ensureOutputBuffer() {
        if output.isAllocated { return }
        if input.isAllocated && input.readable == 0 {
            output = input
            input = ByteBuffer()
        } else {
            output = pool.pointee.take()
        }
    }

    @inline(__always) func releaseOutputIfEmpty() {
        if output.readable == 0 && output.isAllocated { pool.pointee.give(&output) }
    }

    /// Writes what is buffered, as much as the socket takes; called when the thread yields or ends.
    @inline(__always) func flush() {
        guard output.readable > 0 else { return }
        if outputClosed || closed {
            pool.pointee.give(&output)
            return
        }
        if writable { flushOutput() } else if !hasWriteTimerArmed { armWriteTimer() }
    }

    /// Writes the output while the socket takes it; frees the buffer once drained. Each write that makes
    /// progress restarts send_timeout; output left unsent arms it. In line (the resume loop's flush after the
    /// keepalive park is the hot path), its failures out of line.
    @inline(__always) func flushOutput() {
        var progressed = false
        while output.readable > 0 && writable && !outputClosed {
            let n = tl_send(fd, output.readPointer, output.readable)
            if n >= 0 {
                output.consume(n)
                bytesSent &+= n
                progressed = true
            } else {
                writeFailed()
            }
        }
        if output.readable == 0 || outputClosed {
            pool.pointee.give(&output)
            cancelWriteTimer()
            if eofSent && !outputClosed { _ = shutdown(fd, Int32(SHUT_WR)) }
        } else if progressed || !hasWriteTimerArmed {
            armWriteTimer()
        }
    }

    /// A write that failed: interrupted (write again), the socket full (wait for EPOLLOUT), or an error (the
    /// output closes).
    @inline(never) private func writeFailed() {
        switch Sys.lastFailure() {
        case .wouldBlock: blockedOnWrite()
        case .failed(let e):
            outputClosed = true
            writeError = e
        case .bytes, .eof, nil: break  // interrupted: write again
        }
    }

    /// `ngx.eof()`: no more output; the write side is shut down once what is buffered is sent.
    func sendEOF() {
        eofSent = true
        if output.readable > 0 {
            flush()
        } else if !outputClosed && !closed {
            _ = shutdown(fd, Int32(SHUT_WR))
        }
    }

    /// The socket buffer is full: wait for EPOLLOUT (watched from the first time this happens).
    func blockedOnWrite() {
        writable = false
        if !watchingWrite {
            watchingWrite = true
            loopRef._withUnsafeGuaranteedRef { $0.modify(fd, events: Connection.readEvents | Events.write) }
        }
    }

    // MARK: lingering close

    /// nginx's lingering close: with client bytes unread, closing at once makes the kernel reset the
    /// connection and discard the reply it has not transmitted yet. Bytes that came while the handler ran
    /// (after its last read, with no read event seen since) are found with one peek, at close only.
    var shouldLinger: Bool {
        switch linger.mode {
        case .off: return false
        case .always: return !eof
        case .on: return input.readable > 0 || (!eof && (readable || (!peerClosed && tl_bytes_waiting(fd) != 0)))
        }
    }

    /// Shuts the write side down (the reply is followed by FIN) and reads and discards until the client
    /// closes, `lingering_timeout` passes without bytes, or `lingering_time` passes in all.
    func startLingering() {
        state = .lingering
        pool.pointee.give(&input)
        _ = shutdown(fd, Int32(SHUT_WR))
        lingerDeadline = loopRef._withUnsafeGuaranteedRef { $0.now } + linger.timeMs
        lingerRead()
    }

    func lingerRead() {
        var scratch = pool.pointee.take()
        defer { pool.pointee.give(&scratch) }
        while readable {
            switch Sys.read(fd, scratch.writePointer, scratch.writable) {
            case .bytes(let n):
                if n < scratch.writable && !peerClosed { readable = false }
            case .wouldBlock:
                readable = false
            case .eof, .failed:
                close()
                return
            }
        }
        let left = lingerDeadline - loopRef._withUnsafeGuaranteedRef { $0.now }
        if left <= 0 {
            close()
        } else {
            armRead(min(left, linger.timeoutMs))
        }
    }
}
