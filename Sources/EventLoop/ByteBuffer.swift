import Glibc

/// A manually managed byte buffer (malloc'd), so the hot path holds no ARC references.
/// `[readIndex, writeIndex)` is the readable region. Owners call `release` (or hand it back to a pool).
public struct ByteBuffer {
    public private(set) var base: UnsafeMutableRawPointer?
    // 32-bit storage (24 bytes a buffer, two per connection): a buffer never grows past 2 GiB.
    @usableFromInline var capacity32: UInt32 = 0
    @usableFromInline var read32: UInt32 = 0
    @usableFromInline var write32: UInt32 = 0
    public private(set) var capacity: Int {
        @inlinable get { Int(capacity32) }
        set { capacity32 = UInt32(newValue) }
    }
    public var readIndex: Int {
        @inlinable get { Int(read32) }
        @inlinable set { read32 = UInt32(truncatingIfNeeded: newValue) }
    }
    public var writeIndex: Int {
        @inlinable get { Int(write32) }
        @inlinable set { write32 = UInt32(truncatingIfNeeded: newValue) }
    }

    public init() {}

    public init(capacity: Int) {
        base = malloc(capacity)
        self.capacity = capacity
    }

    /// Wraps memory from a pool (`capacity` bytes from `malloc`).
    @usableFromInline init(adopting p: UnsafeMutableRawPointer, capacity: Int) {
        base = p
        self.capacity = capacity
    }

    @inlinable public var readable: Int { writeIndex - readIndex }
    @inlinable public var writable: Int { capacity - writeIndex }
    @inlinable public var isAllocated: Bool { base != nil }
    @inlinable public var readPointer: UnsafeMutableRawPointer { base! + readIndex }
    @inlinable public var writePointer: UnsafeMutableRawPointer { base! + writeIndex }

    /// Makes room for `n` more bytes, moving the readable bytes to the front and growing (doubling) if needed.
    /// False (and nothing changed) when the memory cannot be had.
    @discardableResult
    @inlinable public mutating func reserve(_ n: Int) -> Bool {
        writable >= n ? true : reserveMoving(n)
    }

    /// `reserve` when the free space at the end is too small.
    @usableFromInline mutating func reserveMoving(_ n: Int) -> Bool {
        if readIndex > 0 && capacity - readable >= n {
            if readable > 0 { memmove(base!, base! + readIndex, readable) }
            writeIndex = readable
            readIndex = 0
            return true
        }
        var newCap = max(capacity, 256)
        while newCap - readable < n { newCap *= 2 }
        guard newCap <= Int(UInt32.max) else { return false }
        guard let nb = malloc(newCap) else { return false }
        if readable > 0 { memcpy(nb, base! + readIndex, readable) }
        free(base)
        base = nb
        capacity = newCap
        writeIndex = readable
        readIndex = 0
        return true
    }

    /// Appends bytes, growing as needed.
    public mutating func append(_ p: UnsafeRawPointer, _ n: Int) {
        guard n > 0 else { return }
        guard reserve(n) else { fatalError("out of memory: \(n) more bytes of output") }
        memcpy(base! + writeIndex, p, n)
        writeIndex += n
    }

    /// Consumes `n` readable bytes; resets the indices when empty.
    @inlinable public mutating func consume(_ n: Int) {
        readIndex += n
        if readIndex == writeIndex {
            readIndex = 0
            writeIndex = 0
        }
    }

    public mutating func clear() {
        readIndex = 0
        writeIndex = 0
    }

    /// Frees the memory.
    public mutating func release() {
        free(base)
        base = nil
        capacity = 0
        readIndex = 0
        writeIndex = 0
    }
}

/// A free list of same-size buffers, so a connection can borrow one while a receive is partly filled and
/// return it when drained: idle connections own no buffer, and steady state allocates nothing. The list is
/// threaded through the free buffers themselves (no array to grow or check on the hot path).
public struct BufferPool {
    public let chunkSize: Int
    @usableFromInline var head: UnsafeMutableRawPointer?
    @usableFromInline var count = 0
    @usableFromInline let maxFree: Int

    public init(chunkSize: Int = 16384, maxFree: Int = 256) {
        self.chunkSize = chunkSize
        self.maxFree = maxFree
    }

    @inlinable @inline(__always) public mutating func take() -> ByteBuffer {
        guard let p = head else { return ByteBuffer(capacity: chunkSize) }
        head = p.load(as: UnsafeMutableRawPointer?.self)
        count &-= 1
        return ByteBuffer(adopting: p, capacity: chunkSize)
    }

    /// Takes back a buffer; standard-size ones are kept for reuse (up to `maxFree`), others freed.
    @inlinable @inline(__always) public mutating func give(_ b: inout ByteBuffer) {
        guard let p = b.base else { return }
        if b.capacity32 == UInt32(truncatingIfNeeded: chunkSize) && count < maxFree {
            p.storeBytes(of: head, as: UnsafeMutableRawPointer?.self)
            head = p
            count &+= 1
            b = ByteBuffer()
        } else {
            b.release()
        }
    }
}
