import Glibc

/// A growable byte buffer (malloc'd) that log lines are written into: bytes, memcpy'd runs and decimal integers,
/// with no String and no ARC on the way. The owner calls `deallocate()`.
struct LineBuffer {
    private(set) var base: UnsafeMutablePointer<UInt8>
    private(set) var count = 0
    private(set) var capacity: Int

    init(capacity: Int) {
        self.capacity = max(capacity, 64)
        base = .allocate(capacity: self.capacity)
    }

    /// Frees the memory; the buffer must not be used afterwards.
    func deallocate() { base.deallocate() }

    /// Forgets the contents, keeping the memory.
    mutating func removeAll() { count = 0 }

    /// The contents (for tests).
    var bytes: [UInt8] { Array(UnsafeBufferPointer(start: base, count: count)) }

    /// Makes room for `n` more bytes, doubling the capacity as needed (lines are never split).
    @inline(__always) mutating func reserve(_ n: Int) {
        if count + n > capacity { grow(count + n) }
    }

    private mutating func grow(_ needed: Int) {
        var newCapacity = capacity * 2
        while newCapacity < needed { newCapacity *= 2 }
        let nb = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        nb.update(from: base, count: count)
        base.deallocate()
        base = nb
        capacity = newCapacity
    }

    @inline(__always) mutating func append(_ b: UInt8) {
        reserve(1)
        base[count] = b
        count += 1
    }

    /// Appends `n` bytes from `p`.
    @inline(__always) mutating func append(_ p: UnsafePointer<UInt8>, _ n: Int) {
        guard n > 0 else { return }
        reserve(n)
        (base + count).update(from: p, count: n)
        count += n
    }

    /// Appends the bytes of an array.
    @inline(__always) mutating func append(_ a: [UInt8]) {
        a.withUnsafeBufferPointer { if let p = $0.baseAddress { append(p, $0.count) } }
    }

    /// Appends the UTF-8 of a string (a memcpy for native strings).
    mutating func append(_ s: String) {
        var s = s
        s.withUTF8 { if let p = $0.baseAddress { append(p, $0.count) } }
    }

    /// Appends `v` in decimal (a `-` first when negative).
    mutating func appendDecimal(_ v: Int) {
        if v < 0 {
            append(UInt8(ascii: "-"))
            appendDecimal(UInt(v.magnitude), width: 1)
        } else {
            appendDecimal(UInt(v), width: 1)
        }
    }

    /// Appends `v` in decimal, zero-padded to at least `width` digits.
    mutating func appendDecimal(_ v: UInt, width: Int) {
        var digits = 1
        var rest = v / 10
        while rest > 0 {
            digits += 1
            rest /= 10
        }
        let n = max(digits, width)
        reserve(n)
        var p = base + count + n
        var x = v
        for _ in 0..<n {
            p -= 1
            p.pointee = UInt8(truncatingIfNeeded: 48 + x % 10)
            x /= 10
        }
        count += n
    }

    /// Appends milliseconds as seconds with three decimals: `1.234`, `0.005`.
    mutating func appendSeconds(milliseconds ms: Int64) {
        let v = max(ms, 0)
        appendDecimal(UInt(v / 1000), width: 1)
        append(UInt8(ascii: "."))
        appendDecimal(UInt(v % 1000), width: 3)
    }
}
