/// The zone's allocator: boundary-tagged blocks with immediate coalescing, kept in segregated free lists.
///
/// Why this cannot report a false "no memory" (issue 7): every block header holds its own size and its left
/// neighbour's, so a freed block merges with free neighbours at once and two free blocks are never adjacent.
/// Eviction (`Eviction.swift`) frees entries until an allocation succeeds; since an empty zone is a single
/// free block spanning the heap, a request of at most `heapWords` always succeeds after enough evictions.
/// Fragmentation can therefore only cost extra evictions, never a refusal; there are no size-class slabs
/// whose memory stays pinned to one class (the cause of OpenResty's false "no memory").
///
/// ```
/// block at word w:  [ size:31 | free:1 ][ prevSize:31 | node:1 ]   8 bytes, then the payload
/// free payload:     [ nextFree ][ prevFree ]           word offsets in its bin's list
/// ```
/// Bins: sizes below 64 words have one exact bin each; larger sizes go to 8 bins per power of two. A request
/// takes the first fitting block of its own bin (a bounded scan), else any block of the next non-empty bin
/// (found with the bitmap), and the tail of a larger block is split off and freed.
enum Allocator {
    static let binCount = 272
    /// The smallest block: a header and the two free-list links.
    static let minWords = 2
    /// A block's size field has 31 bits.
    static let maxWords = 0x7fff_ffff

    /// The bin of blocks of `n` words.
    @inline(__always) static func bin(_ n: Int) -> Int {
        if n < 64 { return n }
        let log = Int.bitWidth - 1 - n.leadingZeroBitCount
        return 64 + (log - 6) * 8 + ((n >> (log - 3)) & 7)
    }
}

extension Zone {
    // MARK: block headers

    @inline(__always) func blockSize(_ w: Int) -> Int { Int(u32(w << 3) & 0x7fff_ffff) }
    @inline(__always) func isFree(_ w: Int) -> Bool { u32(w << 3) & 0x8000_0000 != 0 }
    @inline(__always) func prevSize(_ w: Int) -> Int { Int(u32(w << 3 + 4) & 0x7fff_ffff) }
    @inline(__always) func setHeader(_ w: Int, size: Int, free: Bool) {
        setU32(w << 3, UInt32(size) | (free ? 0x8000_0000 : 0))
    }
    @inline(__always) func setPrevSize(_ w: Int, _ n: Int) {
        setU32(w << 3 + 4, UInt32(n) | (u32(w << 3 + 4) & 0x8000_0000))
    }
    /// A used block is an entry or a list node (the header's spare bit says which, for compaction).
    @inline(__always) func isListNode(_ w: Int) -> Bool { u32(w << 3 + 4) & 0x8000_0000 != 0 }
    @inline(__always) func setListNode(_ w: Int, _ node: Bool) {
        setU32(w << 3 + 4, (u32(w << 3 + 4) & 0x7fff_ffff) | (node ? 0x8000_0000 : 0))
    }
    @inline(__always) func nextFree(_ w: Int) -> Int { word(w << 3 + 8) }
    @inline(__always) func prevFree(_ w: Int) -> Int { word(w << 3 + 12) }
    @inline(__always) func binHead(_ b: Int) -> Int { word(Header.bins + b * 4) }

    /// The largest block the heap can ever hold: the whole heap.
    var heapWords: Int { heapEnd - heapStart }

    // MARK: free lists

    private func setBinBit(_ b: Int, _ on: Bool) {
        let o = Header.bitmap + (b >> 6) * 8
        let bit = UInt64(1) << UInt64(b & 63)
        setU64(o, on ? u64(o) | bit : u64(o) & ~bit)
    }

    /// Marks the `n` words at `w` free and puts them at the front of their bin.
    func insertFree(_ w: Int, _ n: Int) {
        setHeader(w, size: n, free: true)
        let b = Allocator.bin(n)
        let head = binHead(b)
        setWord(w << 3 + 8, head)
        setWord(w << 3 + 12, 0)
        if head != 0 { setWord(head << 3 + 12, w) }
        setWord(Header.bins + b * 4, w)
        setBinBit(b, true)
    }

    /// Takes the free block at `w` out of its bin.
    func removeFree(_ w: Int) {
        let b = Allocator.bin(blockSize(w))
        let next = nextFree(w)
        let prev = prevFree(w)
        if prev != 0 {
            setWord(prev << 3 + 8, next)
        } else {
            setWord(Header.bins + b * 4, next)
            if next == 0 { setBinBit(b, false) }
        }
        if next != 0 { setWord(next << 3 + 12, prev) }
    }

    /// The first non-empty bin above `b`.
    private func firstBin(above b: Int) -> Int? {
        let start = b + 1
        var i = start >> 6
        var mask = ~UInt64(0) << UInt64(start & 63)
        while i < 5 {
            let bits = u64(Header.bitmap + i * 8) & mask
            if bits != 0 { return i * 64 + bits.trailingZeroBitCount }
            i += 1
            mask = ~0
        }
        return nil
    }

    // MARK: allocate and free

    /// A used block of at least `n` words (header included), or nil when no free block is large enough.
    func allocate(words n: Int) -> Int? {
        let b = Allocator.bin(n)
        var w = binHead(b)
        var probes = 0
        while w != 0 && probes < 16 {
            if blockSize(w) >= n { return take(w, n) }
            w = nextFree(w)
            probes += 1
        }
        guard let larger = firstBin(above: b) else { return nil }
        return take(binHead(larger), n)
    }

    /// Uses the free block `w` for `n` words, freeing what is left over.
    private func take(_ w: Int, _ n: Int) -> Int {
        removeFree(w)
        let have = blockSize(w)
        freeWords -= have
        if have - n >= Allocator.minWords {
            setHeader(w, size: n, free: false)
            split(w + n, have - n, after: n)
        } else {
            setHeader(w, size: have, free: false)
        }
        return w
    }

    /// Makes the `n` words at `w`, right after a used block of `after` words, a free block; the block at
    /// `w + n` must not be free.
    private func split(_ w: Int, _ n: Int, after: Int) {
        setPrevSize(w, after)
        insertFree(w, n)
        freeWords += n
        if w + n < heapEnd { setPrevSize(w + n, n) }
    }

    /// Shrinks the used block `w` to `n` words when that frees at least a minimal block.
    func shrink(_ w: Int, to n: Int) {
        let have = blockSize(w)
        guard have - n >= Allocator.minWords else { return }
        setHeader(w, size: n, free: false)
        let rest = w + n
        setHeader(rest, size: have - n, free: false)
        setPrevSize(rest, n)
        if rest + (have - n) < heapEnd { setPrevSize(rest + (have - n), have - n) }
        release(rest)
    }

    /// Frees the used block `w`, merging it with free neighbours.
    func release(_ w: Int) {
        var start = w
        var n = blockSize(w)
        freeWords += n
        let next = w + n
        if next < heapEnd && isFree(next) {
            removeFree(next)
            n += blockSize(next)
        }
        let before = prevSize(w)
        if before != 0 && isFree(w - before) {
            start = w - before
            removeFree(start)
            n += before
        }
        insertFree(start, n)
        if start + n < heapEnd { setPrevSize(start + n, n) }
    }
}
