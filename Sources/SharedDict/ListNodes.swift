/// List values: the entry's value holds the head and tail words of a doubly linked list of node blocks.
///
/// ```
/// node block: +0 header, +8 prev, +12 next (words), +16 len: UInt32 (bit 31: a number), +20 owner (the
///             list entry, for compaction), +24 data
/// ```
enum ListLayout {
    static let fields = 24
    @inline(__always) static func nodeWords(_ len: Int) -> Int { (fields + len + 7) >> 3 }
}

extension Zone {
    @inline(__always) func listHead(_ e: Int) -> Int { Int(valuePointer(e).loadUnaligned(as: UInt32.self)) }
    @inline(__always) func listTail(_ e: Int) -> Int {
        Int(valuePointer(e).loadUnaligned(fromByteOffset: 4, as: UInt32.self))
    }
    @inline(__always) func setListHead(_ e: Int, _ w: Int) {
        valuePointer(e).storeBytes(of: UInt32(w), as: UInt32.self)
    }
    @inline(__always) func setListTail(_ e: Int, _ w: Int) {
        valuePointer(e).storeBytes(of: UInt32(w), toByteOffset: 4, as: UInt32.self)
    }
    @inline(__always) func nodePrev(_ n: Int) -> Int { word(n << 3 + 8) }
    @inline(__always) func nodeNext(_ n: Int) -> Int { word(n << 3 + 12) }
    @inline(__always) func nodeLen(_ n: Int) -> Int { Int(u32(n << 3 + 16) & 0x7fff_ffff) }
    @inline(__always) func nodeType(_ n: Int) -> ValueType { u32(n << 3 + 16) >> 31 != 0 ? .number : .string }
    @inline(__always) func nodeOwner(_ n: Int) -> Int { word(n << 3 + 20) }
    @inline(__always) func setNodeOwner(_ n: Int, _ e: Int) { setWord(n << 3 + 20, e) }
    @inline(__always) func nodeData(_ n: Int) -> UnsafeMutableRawPointer { base + (n << 3 + ListLayout.fields) }

    /// Fills node `n` with a value and links it at the head (`left`) or tail of list entry `e`.
    func linkNode(_ n: Int, into e: Int, left: Bool, type: ValueType, bytes: UnsafeRawBufferPointer) {
        setU32(n << 3 + 16, UInt32(bytes.count) | (type == .number ? 0x8000_0000 : 0))
        setNodeOwner(n, e)
        setListNode(n, true)
        if let p = bytes.baseAddress { nodeData(n).copyMemory(from: p, byteCount: bytes.count) }
        if left {
            let head = listHead(e)
            setWord(n << 3 + 8, 0)
            setWord(n << 3 + 12, head)
            if head != 0 { setWord(head << 3 + 8, n) } else { setListTail(e, n) }
            setListHead(e, n)
        } else {
            let tail = listTail(e)
            setWord(n << 3 + 8, tail)
            setWord(n << 3 + 12, 0)
            if tail != 0 { setWord(tail << 3 + 12, n) } else { setListHead(e, n) }
            setListTail(e, n)
        }
        setValueLen(e, valueLen(e) + 1)
        listNodeCount += 1
    }

    /// Unlinks the head (`left`) or tail node of a non-empty list entry and returns it (still allocated).
    func unlinkNode(from e: Int, left: Bool) -> Int {
        let n = left ? listHead(e) : listTail(e)
        let prev = nodePrev(n)
        let next = nodeNext(n)
        if prev != 0 { setWord(prev << 3 + 12, next) } else { setListHead(e, next) }
        if next != 0 { setWord(next << 3 + 8, prev) } else { setListTail(e, prev) }
        setValueLen(e, valueLen(e) - 1)
        listNodeCount -= 1
        return n
    }

    /// Frees every node of list entry `e`.
    func freeListNodes(_ e: Int) {
        var n = listHead(e)
        var count = 0
        while n != 0 {
            let next = nodeNext(n)
            release(n)
            count += 1
            n = next
        }
        listNodeCount -= count
        setListHead(e, 0)
        setListTail(e, 0)
        setValueLen(e, 0)
    }
}
