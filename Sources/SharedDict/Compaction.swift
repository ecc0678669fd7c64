/// Compaction: slides every used block down to the start of the heap, so all free words become one block.
///
/// Blocks are moved in address order; after each move the offsets that referred to the block are fixed at
/// once (an entry's LRU neighbours, its hash-chain predecessor and its list nodes' owner; a node's list
/// neighbours or its owner's head/tail), so every reference is current when a later block moves. It runs
/// only when the free words add up to a request that no single free block holds, and (for evicting writes)
/// when at least a tenth of the heap is free, so its O(heap) cost is paid at most once per tenth of the heap
/// freed.
extension Zone {
    func compact(keep: inout Int) {
        var w = heapStart
        var dst = heapStart
        var prev = 0
        while w < heapEnd {
            let n = blockSize(w)
            if !isFree(w) {
                if dst != w {
                    (base + dst << 3).copyMemory(from: base + w << 3, byteCount: n << 3)
                    relink(from: w, to: dst)
                    if keep == w { keep = dst }
                }
                setPrevSize(dst, prev)
                prev = n
                dst += n
            }
            w += n
        }
        for b in 0..<Allocator.binCount { setWord(Header.bins + b * 4, 0) }
        for i in 0..<5 { setU64(Header.bitmap + i * 8, 0) }
        if dst < heapEnd {
            setPrevSize(dst, prev)
            insertFree(dst, heapEnd - dst)
        }
    }

    /// Fixes the references to a used block that moved from `old` to `new`.
    private func relink(from old: Int, to new: Int) {
        if isListNode(new) {
            let owner = nodeOwner(new)
            let p = nodePrev(new)
            let n = nodeNext(new)
            if p != 0 { setWord(p << 3 + 12, new) } else { setListHead(owner, new) }
            if n != 0 { setWord(n << 3 + 8, new) } else { setListTail(owner, new) }
            return
        }
        let p = lruPrev(new)
        let n = lruNext(new)
        if p != 0 { setLruNext(p, new) } else { lruHead = new }
        if n != 0 { setLruPrev(n, new) } else { lruTail = new }
        let bucket = bucketByte(entryHash(new))
        var q = word(bucket)
        if q == old {
            setWord(bucket, new)
        } else {
            while q != 0 {
                let next = hashNext(q)
                if next == old {
                    setHashNext(q, new)
                    break
                }
                q = next
            }
        }
        if valueType(new) == .list {
            var node = listHead(new)
            while node != 0 {
                setNodeOwner(node, new)
                node = nodeNext(node)
            }
        }
    }
}
