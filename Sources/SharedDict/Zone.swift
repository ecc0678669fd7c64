/// A raw view of one zone: typed loads and stores at byte offsets, and the header's fields.
///
/// Everything inside a zone is addressed by *word offsets* (`UInt32`, counting 8-byte words from the zone's
/// start; 0 means "none", since word 0 is the header), never by pointers: each process maps the zone at its
/// own address, and all of them see one structure.
///
/// ```
/// word 0                 header: magic, size, bucket table, heap bounds, LRU ends, counters, lock word
///                        (byte 128: 0 or the owner's pid), free-bin bitmap (192) and bin heads (256)
/// bucketsWord            hash buckets: UInt32 word offsets of chain heads (a power of two of them)
/// heapStart ..< heapEnd  the heap: blocks of entries, list nodes and free space (Allocator.swift)
/// ```
@usableFromInline struct Zone {
    @usableFromInline let base: UnsafeMutableRawPointer

    @inlinable init(base: UnsafeMutableRawPointer) { self.base = base }

    @inline(__always) func u8(_ o: Int) -> UInt8 { base.load(fromByteOffset: o, as: UInt8.self) }
    @inline(__always) func setU8(_ o: Int, _ v: UInt8) { base.storeBytes(of: v, toByteOffset: o, as: UInt8.self) }
    @inline(__always) func u16(_ o: Int) -> UInt16 { base.load(fromByteOffset: o, as: UInt16.self) }
    @inline(__always) func setU16(_ o: Int, _ v: UInt16) { base.storeBytes(of: v, toByteOffset: o, as: UInt16.self) }
    @inline(__always) func u32(_ o: Int) -> UInt32 { base.load(fromByteOffset: o, as: UInt32.self) }
    @inline(__always) func setU32(_ o: Int, _ v: UInt32) { base.storeBytes(of: v, toByteOffset: o, as: UInt32.self) }
    @inline(__always) func u64(_ o: Int) -> UInt64 { base.load(fromByteOffset: o, as: UInt64.self) }
    @inline(__always) func setU64(_ o: Int, _ v: UInt64) { base.storeBytes(of: v, toByteOffset: o, as: UInt64.self) }
    @inline(__always) func i64(_ o: Int) -> Int64 { base.load(fromByteOffset: o, as: Int64.self) }
    @inline(__always) func setI64(_ o: Int, _ v: Int64) { base.storeBytes(of: v, toByteOffset: o, as: Int64.self) }
    /// A word offset field (stored as UInt32) read as Int.
    @inline(__always) func word(_ o: Int) -> Int { Int(u32(o)) }
    @inline(__always) func setWord(_ o: Int, _ w: Int) { setU32(o, UInt32(truncatingIfNeeded: w)) }
    @inline(__always) func pointer(_ o: Int) -> UnsafeMutableRawPointer { base + o }
}

/// Byte offsets of the header fields.
enum Header {
    static let magic = 0  // UInt64
    static let size = 8  // UInt64: the zone's bytes
    static let bucketMask = 16  // UInt32: bucket count - 1
    static let buckets = 20  // UInt32: word offset of the bucket table
    static let heapStart = 24  // UInt32 word
    static let heapEnd = 28  // UInt32 word
    static let lruHead = 32  // UInt32 word: most recently used entry
    static let lruTail = 36  // UInt32 word: least recently used entry
    static let entries = 40  // UInt32
    static let freeWords = 44  // UInt32: words in free blocks
    static let listNodes = 48  // UInt32
    static let busy = 52  // UInt32: 1 while a locked operation may be changing the structure
    static let recoveries = 56  // UInt32: locks that found a dead owner
    static let resets = 60  // UInt32: recoveries that found the structure broken and emptied the zone
    static let lastSweep = 64  // Int64 ms: the last full pass over expired entries
    static let lock = 128  // UInt32: 0 or the lock owner's pid (Lock.swift); bytes 132..<192 unused
    static let bitmap = 192  // 5 x UInt64: which free bins are not empty
    static let bins = 256  // Allocator.binCount x UInt32: free-list heads
    static let end = bins + Allocator.binCount * 4

    static let magicValue: UInt64 = 0x7463_706c_7561_5344  // "tcpluaSD"
}

extension Zone {
    var size: Int { Int(u64(Header.size)) }
    var heapStart: Int { word(Header.heapStart) }
    var heapEnd: Int { word(Header.heapEnd) }
    var bucketMask: Int { Int(u32(Header.bucketMask)) }
    var bucketsByte: Int { word(Header.buckets) << 3 }

    var lruHead: Int {
        get { word(Header.lruHead) }
        nonmutating set { setWord(Header.lruHead, newValue) }
    }
    var lruTail: Int {
        get { word(Header.lruTail) }
        nonmutating set { setWord(Header.lruTail, newValue) }
    }
    var entryCount: Int {
        get { Int(u32(Header.entries)) }
        nonmutating set { setWord(Header.entries, newValue) }
    }
    var listNodeCount: Int {
        get { Int(u32(Header.listNodes)) }
        nonmutating set { setWord(Header.listNodes, newValue) }
    }
    var freeWords: Int {
        get { Int(u32(Header.freeWords)) }
        nonmutating set { setWord(Header.freeWords, newValue) }
    }

    /// Writes an empty structure: header, zeroed buckets, and the whole heap as one free block. The lock word
    /// is set up separately (`Lock.swift`), since a recovery reset runs under it and keeps it.
    func formatStructure(size: Int) {
        let headerWords = (Header.end + 7) >> 3
        // One bucket per 256 bytes of zone, a power of two, at least 16.
        var buckets = 16
        while buckets * 256 < size { buckets <<= 1 }
        let heapStart = headerWords + (buckets * 4 + 7) / 8
        let heapEnd = size >> 3
        base.initializeMemory(as: UInt8.self, repeating: 0, count: Header.lock)  // the lock is kept
        (base + Header.bitmap).initializeMemory(as: UInt8.self, repeating: 0, count: heapStart << 3 - Header.bitmap)
        setU64(Header.magic, Header.magicValue)
        setU64(Header.size, UInt64(size))
        setU32(Header.bucketMask, UInt32(buckets - 1))
        setWord(Header.buckets, headerWords)
        setWord(Header.heapStart, heapStart)
        setWord(Header.heapEnd, heapEnd)
        freeWords = 0
        setHeader(heapStart, size: heapEnd - heapStart, free: true)
        setPrevSize(heapStart, 0)
        insertFree(heapStart, heapEnd - heapStart)
        freeWords = heapEnd - heapStart
    }
}
