import Glibc

/// The kinds of value an entry holds (OpenResty's type codes).
enum ValueType: UInt8 {
    case boolean = 1
    case number = 3
    case string = 4
    case list = 5
}

/// An entry is one used block: its fields, then the key bytes, then the value bytes.
///
/// ```
/// +0  block header            +24 expires: Int64 (ms; 0 never, <= now expired)
/// +8  hashNext  (word)        +32 valueLen: UInt32 (bytes; a list's item count)
/// +12 lruPrev   (word)        +36 userFlags: UInt32
/// +16 lruNext   (word)        +40 keyLen: UInt16, +42 type: UInt8
/// +20 hash: UInt32            +44 key, then value (a number: 8 bytes; a list: head and tail words)
/// ```
/// Overhead beyond key and value: 44 bytes plus rounding to 8 (at most 51), plus one 4-byte bucket per
/// 256 bytes of zone.
enum EntryLayout {
    static let fields = 44
    /// Words of an entry with this key and value size.
    @inline(__always) static func words(key: Int, value: Int) -> Int { (fields + key + value + 7) >> 3 }
}

extension Zone {
    @inline(__always) func hashNext(_ w: Int) -> Int { word(w << 3 + 8) }
    @inline(__always) func setHashNext(_ w: Int, _ v: Int) { setWord(w << 3 + 8, v) }
    @inline(__always) func lruPrev(_ w: Int) -> Int { word(w << 3 + 12) }
    @inline(__always) func setLruPrev(_ w: Int, _ v: Int) { setWord(w << 3 + 12, v) }
    @inline(__always) func lruNext(_ w: Int) -> Int { word(w << 3 + 16) }
    @inline(__always) func setLruNext(_ w: Int, _ v: Int) { setWord(w << 3 + 16, v) }
    @inline(__always) func entryHash(_ w: Int) -> UInt32 { u32(w << 3 + 20) }
    @inline(__always) func expires(_ w: Int) -> Int64 { i64(w << 3 + 24) }
    @inline(__always) func setExpires(_ w: Int, _ v: Int64) { setI64(w << 3 + 24, v) }
    @inline(__always) func valueLen(_ w: Int) -> Int { Int(u32(w << 3 + 32)) }
    @inline(__always) func setValueLen(_ w: Int, _ v: Int) { setWord(w << 3 + 32, v) }
    @inline(__always) func userFlags(_ w: Int) -> UInt32 { u32(w << 3 + 36) }
    @inline(__always) func keyLen(_ w: Int) -> Int { Int(u16(w << 3 + 40)) }
    @inline(__always) func valueType(_ w: Int) -> ValueType? { ValueType(rawValue: u8(w << 3 + 42)) }
    @inline(__always) func keyPointer(_ w: Int) -> UnsafeMutableRawPointer { base + (w << 3 + EntryLayout.fields) }
    @inline(__always) func valuePointer(_ w: Int) -> UnsafeMutableRawPointer { keyPointer(w) + keyLen(w) }

    @inline(__always) func isExpired(_ w: Int, now: Int64) -> Bool {
        let e = expires(w)
        return e != 0 && e <= now
    }

    @inline(__always) func bucketByte(_ hash: UInt32) -> Int { bucketsByte + Int(hash & UInt32(bucketMask)) * 4 }

    /// The entry with this key, or 0.
    func find(_ key: UnsafeRawBufferPointer, _ hash: UInt32) -> Int {
        var w = word(bucketByte(hash))
        while w != 0 {
            if entryHash(w) == hash && keyLen(w) == key.count && keysEqual(UnsafeRawPointer(keyPointer(w)), key) {
                return w
            }
            w = hashNext(w)
        }
        return 0
    }

    /// Fills a freshly allocated block as an entry and links it into its bucket and the LRU front.
    func initEntry(
        _ w: Int,
        key: UnsafeRawBufferPointer,
        hash: UInt32,
        type: ValueType,
        valueLen: Int,
        expires: Int64,
        flags: UInt32
    ) {
        let b = w << 3
        setListNode(w, false)
        setU32(b + 20, hash)
        setI64(b + 24, expires)
        setWord(b + 32, valueLen)
        setU32(b + 36, flags)
        setU16(b + 40, UInt16(key.count))
        setU8(b + 42, type.rawValue)
        setU8(b + 43, 0)
        if let k = key.baseAddress { keyPointer(w).copyMemory(from: k, byteCount: key.count) }
        let bucket = bucketByte(hash)
        setHashNext(w, word(bucket))
        setWord(bucket, w)
        lruPushFront(w)
        entryCount += 1
    }

    /// Rewrites the value fields of an entry in place.
    func setValueFields(_ w: Int, type: ValueType, valueLen: Int, expires: Int64, flags: UInt32) {
        let b = w << 3
        setI64(b + 24, expires)
        setWord(b + 32, valueLen)
        setU32(b + 36, flags)
        setU8(b + 42, type.rawValue)
    }

    /// Unlinks an entry from its bucket and the LRU list and frees it with its list nodes.
    func removeEntry(_ w: Int) {
        let bucket = bucketByte(entryHash(w))
        var p = word(bucket)
        if p == w {
            setWord(bucket, hashNext(w))
        } else {
            while p != 0 {
                let n = hashNext(p)
                if n == w {
                    setHashNext(p, hashNext(w))
                    break
                }
                p = n
            }
        }
        lruUnlink(w)
        entryCount -= 1
        if valueType(w) == .list { freeListNodes(w) }
        release(w)
    }

    // MARK: LRU

    func lruUnlink(_ w: Int) {
        let p = lruPrev(w)
        let n = lruNext(w)
        if p != 0 { setLruNext(p, n) } else { lruHead = n }
        if n != 0 { setLruPrev(n, p) } else { lruTail = p }
    }

    func lruPushFront(_ w: Int) {
        let head = lruHead
        setLruPrev(w, 0)
        setLruNext(w, head)
        if head != 0 { setLruPrev(head, w) } else { lruTail = w }
        lruHead = w
    }

    /// Makes `w` the most recently used entry.
    @inline(__always) func touch(_ w: Int) {
        if lruHead != w {
            lruUnlink(w)
            lruPushFront(w)
        }
    }
}

/// The stored key at `p` against `key` (of the same length): short keys (most are) compared in line as one
/// or two overlapping words, longer ones with `memcmp`.
@inline(__always) func keysEqual(_ p: UnsafeRawPointer, _ key: UnsafeRawBufferPointer) -> Bool {
    let n = key.count
    guard n > 0, let q = key.baseAddress else { return true }
    switch n {
    case 8...16:
        return p.loadUnaligned(as: UInt64.self) == q.loadUnaligned(as: UInt64.self)
            && p.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self)
                == q.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self)
    case 4...7:
        return p.loadUnaligned(as: UInt32.self) == q.loadUnaligned(as: UInt32.self)
            && p.loadUnaligned(fromByteOffset: n - 4, as: UInt32.self)
                == q.loadUnaligned(fromByteOffset: n - 4, as: UInt32.self)
    case 1...3:
        for i in 0..<n where p.load(fromByteOffset: i, as: UInt8.self) != q.load(fromByteOffset: i, as: UInt8.self) {
            return false
        }
        return true
    default:
        return memcmp(p, q, n) == 0
    }
}

/// The key hash: 8 bytes at a time with a multiply-xorshift mix.
@inline(__always) func hashKey(_ key: UnsafeRawBufferPointer) -> UInt32 {
    var h: UInt64 = 0x9e37_79b9_7f4a_7c15 ^ UInt64(key.count)
    let n = key.count
    var i = 0
    if let p = key.baseAddress {
        while i + 8 <= n {
            h = (h ^ p.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0xff51_afd7_ed55_8ccd
            h ^= h >> 32
            i += 8
        }
        var tail: UInt64 = 0
        var shift: UInt64 = 0
        while i < n {
            tail |= UInt64(p.load(fromByteOffset: i, as: UInt8.self)) << shift
            shift += 8
            i += 1
        }
        h = (h ^ tail) &* 0xc4ce_b9fe_1a85_ec53
    }
    h ^= h >> 29
    return UInt32(truncatingIfNeeded: h ^ (h >> 32))
}
