import EventLoop
import Glibc
import LuaKit

/// Outcome of trying to have enough input buffered.
enum FillResult {
    case ready
    case wait
    case closed
}

extension Session {
    // MARK: input

    /// Reads until at least `want` bytes are buffered, the socket has nothing more, or it closed.
    /// Reads only into the free space of one pooled 16 KiB buffer, which grows (doubling) only as the bytes a
    /// receive asks for actually arrive: a client that floods is held back by TCP, and a huge length prefix
    /// commits no memory until its bytes come. A buffer that cannot grow ends the receive: "out of memory".
    func fill(want: Int) -> FillResult {
        while input.readable < want {
            if eof { return .closed }
            if !readable { return .wait }
            if !input.isAllocated { input = runtime.pool.take() }
            if input.writable == 0 && !input.reserve(min(want - input.readable, max(input.capacity, 4096))) {
                eof = true
                readError = ENOMEM
                return .closed
            }
            let ask = input.writable
            switch Sys.read(fd, input.writePointer, ask) {
            case .bytes(let n):
                input.writeIndex += n
                bytesReceived += n
                if n < ask && !peerClosed { readable = false }
            case .eof:
                eof = true
            case .wouldBlock:
                readable = false
            case .failed(let e):
                eof = true
                readError = e
            }
        }
        return .ready
    }

    /// When the pending receive can complete, pushes its results on the coroutine and returns their count.
    func receiveReady(total: Int, atLeast: Int) -> Int32? {
        let lua = Lua(co!)
        switch fill(want: atLeast) {
        case .ready:
            let n = min(total, input.readable)
            lua.push(bytes: input.readPointer, count: n)
            input.consume(n)
            if input.readable == 0 { runtime.pool.give(&input) }
            return 1
        case .wait:
            if input.readable == 0 { runtime.pool.give(&input) }
            return nil
        case .closed:
            lua.pushNil()
            lua.push(NgxStrings.receiveError(readError))
            pushPartial(lua)
            return 3
        }
    }

    /// Pushes (and consumes) whatever is buffered: the `partial` of a failed receive.
    func pushPartial(_ lua: Lua) {
        if input.readable > 0 {
            lua.push(bytes: input.readPointer, count: input.readable)
            input.consume(input.readable)
        } else {
            lua.push("")
        }
        runtime.pool.give(&input)
    }

    // MARK: output

    /// Writes the runtime's output buffer (what this session printed since it last yielded).
    func flush() {
        let out = runtime.out.readable
        guard out > 0 else { return }
        defer { runtime.out.clear() }
        if outputClosed { return }
        if pendingOut.readable > 0 {
            pendingOut.append(runtime.out.readPointer, out)
            flushPending()
            return
        }
        var off = 0
        if writable {
            while off < out {
                switch Sys.write(fd, runtime.out.readPointer + off, out - off) {
                case .bytes(let n):
                    off += n
                    bytesSent += n
                case .wouldBlock, .eof:
                    blockedOnWrite()
                case .failed:
                    outputClosed = true
                    return
                }
                if !writable { break }
            }
        }
        if off < out { pendingOut.append(runtime.out.readPointer + off, out - off) }
    }

    /// Writes the unsent tail the connection keeps; frees it once drained.
    func flushPending() {
        while pendingOut.readable > 0 && writable && !outputClosed {
            switch Sys.write(fd, pendingOut.readPointer, pendingOut.readable) {
            case .bytes(let n):
                pendingOut.consume(n)
                bytesSent += n
            case .wouldBlock, .eof:
                blockedOnWrite()
            case .failed:
                outputClosed = true
            }
        }
        if pendingOut.readable == 0 || outputClosed { pendingOut.release() }
    }

    /// The socket buffer is full: wait for EPOLLOUT (watched from the first time this happens).
    func blockedOnWrite() {
        writable = false
        if !watchingWrite {
            watchingWrite = true
            runtime.loop.modify(fd, events: Session.readEvents | Events.write)
        }
    }

    /// Unsent bytes of this session: buffered in the loop and kept by the connection.
    var unsent: Int { runtime.out.readable + pendingOut.readable }

    /// Pushes `bytes, "ok"` or `nil, "closed"` for a finished print onto `lua` (the calling thread, or the
    /// session's coroutine when resuming a print that waited).
    func pushWriteResult(_ bytes: Int, on lua: Lua) {
        if outputClosed {
            lua.pushNil()
            lua.push(NgxStrings.closed)
        } else {
            lua.push(bytes)
            lua.pushRef(NgxRuntime.okRef)
        }
    }
}
