import CShim
import EventLoop
import LuaKit
import Testing

@testable import Ngx

/// The Lua layer reads and writes the client connection's input buffer through `tl_current_input`
/// (Prelude.swift): the address is `input`'s own storage, and `tl_buffer` is `ByteBuffer`'s layout.
@Suite struct FastPathLayoutTests {
    @Test func theInputAddressIsTheInputBuffersStorage() throws {
        let runtime = NgxRuntime(
            loop: try EventLoop(),
            vm: LuaVM(),
            log: ErrorLog.stderr(level: .crit),
            prefix: "/tmp/"
        )
        let c = Connection(fd: -1, runtime: runtime, sendTimeoutMs: 0)
        c.input = ByteBuffer(capacity: 64)
        c.input.append("hello, world", 12)
        let b = c.inputAddress
        #expect(UnsafeRawPointer(b.pointee.base) == UnsafeRawPointer(c.input.base))
        #expect(b.pointee.cap == 64 && b.pointee.rd == 0 && b.pointee.wr == 12)
        b.pointee.rd = 7  // what the Lua layer does when it takes 7 bytes
        #expect(c.input.readable == 5)
        #expect(String(cString: c.input.readPointer.assumingMemoryBound(to: CChar.self)).hasPrefix("world"))
        b.pointee.rd = 0
        b.pointee.wr = 0
        #expect(c.input.readable == 0 && c.input.isAllocated)
        c.input.release()
    }
}
