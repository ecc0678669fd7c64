import Glibc

/// A growable byte buffer (malloc'd) that log lines are written into: bytes, memcpy'd runs and decimal integers,
/// with no String and no ARC on the way. The owner calls `deallocate()`.
///
/// A writer that knows a bound for what it is about to write can `reserve` it once, write through `end` with
/// the `DecimalDigits` helpers, and `commit` the new end: no capacity check per byte.
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

    /// Where the next byte goes.
    @inline(__always) var end: UnsafeMutablePointer<UInt8> { base + count }

    /// Takes the bytes written through `end` up to `newEnd` (at most what was reserved).
    @inline(__always) mutating func commit(_ newEnd: UnsafeMutablePointer<UInt8>) { count = newEnd - base }

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

    /// Appends `v` in decimal (a `-` first when negative).
    mutating func appendDecimal(_ v: Int) {
        reserve(DecimalDigits.maxInt)
        commit(DecimalDigits.write(v, at: end))
    }

    /// Appends `v` in decimal, zero-padded to at least `width` digits.
    mutating func appendDecimal(_ v: UInt, width: Int) {
        reserve(max(width, DecimalDigits.maxInt))
        commit(DecimalDigits.write(v, width: width, at: end))
    }

    /// Appends milliseconds as seconds with three decimals: `1.234`, `0.005`.
    mutating func appendSeconds(milliseconds ms: Int64) {
        reserve(DecimalDigits.maxSeconds)
        commit(DecimalDigits.writeSeconds(milliseconds: ms, at: end))
    }
}

/// Decimal digits written in place (two per division, from a table); each returns the end of what it wrote.
/// The caller has reserved room: `maxInt` bytes for an integer, `maxSeconds` for seconds, `width` if larger.
enum DecimalDigits {
    /// The longest integer: `-9223372036854775808`, 20 digits of UInt.max.
    static let maxInt = 21
    /// The longest seconds value: 19 digits, a point and 3 decimals.
    static let maxSeconds = 24

    /// `v`, zero-padded to at least `width` digits.
    @inline(__always)
    static func write(_ v: UInt, width: Int = 1, at start: UnsafeMutablePointer<UInt8>) -> UnsafeMutablePointer<UInt8> {
        var digits = 1
        var power: UInt = 10
        while digits < 20 && v >= power {
            digits &+= 1
            power &*= 10
        }
        let end = start + max(digits, width)
        let pairs: StaticString =
            "00010203040506070809101112131415161718192021222324252627282930313233343536373839404142434445464748495051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899"
        let table = pairs.utf8Start
        var p = end
        var x = v
        while x >= 100 {
            let r = Int(x % 100) &* 2
            x /= 100
            p -= 2
            p[0] = table[r]
            p[1] = table[r &+ 1]
        }
        if x >= 10 {
            let r = Int(x) &* 2
            p -= 2
            p[0] = table[r]
            p[1] = table[r &+ 1]
        } else {
            p -= 1
            p[0] = UInt8(truncatingIfNeeded: 48 &+ x)
        }
        while p > start {
            p -= 1
            p[0] = 48
        }
        return end
    }

    /// `v`, with a `-` first when negative.
    @inline(__always)
    static func write(_ v: Int, at p: UnsafeMutablePointer<UInt8>) -> UnsafeMutablePointer<UInt8> {
        guard v < 0 else { return write(UInt(v), at: p) }
        p[0] = UInt8(ascii: "-")
        return write(UInt(v.magnitude), at: p + 1)
    }

    /// Milliseconds as seconds with three decimals (`1.234`, `0.005`); negative durations are `0.000`.
    @inline(__always)
    static func writeSeconds(milliseconds ms: Int64, at p: UnsafeMutablePointer<UInt8>) -> UnsafeMutablePointer<UInt8> {
        let v = UInt(max(ms, 0))
        let q = write(v / 1000, at: p)
        // The three decimals digit by digit: the padded `write` zero-fills with a `memset` call (an access-log
        // line's `$request_time` is one per request).
        let f = v % 1000
        q[0] = UInt8(ascii: ".")
        q[1] = UInt8(truncatingIfNeeded: 48 &+ f / 100)
        q[2] = UInt8(truncatingIfNeeded: 48 &+ f / 10 % 10)
        q[3] = UInt8(truncatingIfNeeded: 48 &+ f % 10)
        return q + 4
    }
}
