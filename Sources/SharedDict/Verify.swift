/// The structure check: walks the heap, the free bins, the LRU list with every list value, and the hash
/// chains, and cross-checks them. Every offset is range-checked before it is followed and every walk is
/// bounded, so it terminates on any garbage (it runs after a lock holder died mid-operation).
extension Zone {
    private enum Mark: UInt8 { case none, free, used, entry, node }

    /// nil when the structure is consistent, else the first problem found.
    func verify() -> String? {
        guard u64(Header.magic) == Header.magicValue else { return "bad magic" }
        let start = heapStart
        let end = heapEnd
        guard start > 0, start < end, end << 3 <= size, bucketsByte + (bucketMask + 1) * 4 <= start << 3 else {
            return "bad header bounds"
        }
        var marks = [Mark](repeating: .none, count: end - start)
        // The heap, block by block.
        var w = start
        var prev = 0
        var prevWasFree = false
        var freeTotal = 0
        var freeBlocks = 0
        var usedBlocks = 0
        while w < end {
            let n = blockSize(w)
            guard n >= Allocator.minWords, n <= end - w else { return "bad block size \(n) at \(w)" }
            guard prevSize(w) == prev else { return "bad prevSize at \(w)" }
            if isFree(w) {
                guard !prevWasFree else { return "adjacent free blocks at \(w)" }
                freeTotal += n
                freeBlocks += 1
                marks[w - start] = .free
            } else {
                usedBlocks += 1
                marks[w - start] = .used
            }
            prevWasFree = isFree(w)
            prev = n
            w += n
        }
        guard freeTotal == freeWords else { return "freeWords \(freeWords) but \(freeTotal) free" }
        if let e = verifyBins(marks, start, freeBlocks) { return e }
        if let e = verifyLRU(&marks, start, usedBlocks) { return e }
        if let e = verifyBuckets(marks, start) { return e }
        return nil
    }

    private func isBlock(_ w: Int, _ start: Int, _ count: Int) -> Bool { w >= start && w - start < count }

    private func verifyBins(_ marks: [Mark], _ start: Int, _ freeBlocks: Int) -> String? {
        var seen = 0
        for b in 0..<Allocator.binCount {
            let bit = u64(Header.bitmap + (b >> 6) * 8) >> UInt64(b & 63) & 1
            var w = binHead(b)
            guard (bit == 1) == (w != 0) else { return "bitmap bit \(b) wrong" }
            var prev = 0
            while w != 0 {
                guard isBlock(w, start, marks.count), marks[w - start] == .free else { return "bin \(b): not free" }
                guard Allocator.bin(blockSize(w)) == b, prevFree(w) == prev else { return "bin \(b): bad link" }
                seen += 1
                guard seen <= freeBlocks else { return "bins hold more blocks than the heap" }
                prev = w
                w = nextFree(w)
            }
        }
        return seen == freeBlocks ? nil : "bins hold \(seen) of \(freeBlocks) free blocks"
    }

    private func verifyLRU(_ marks: inout [Mark], _ start: Int, _ usedBlocks: Int) -> String? {
        var w = lruHead
        var prev = 0
        var entries = 0
        var nodes = 0
        while w != 0 {
            guard isBlock(w, start, marks.count), marks[w - start] == .used else { return "LRU: bad entry \(w)" }
            marks[w - start] = .entry
            guard !isListNode(w) else { return "entry \(w) marked as a node" }
            guard lruPrev(w) == prev else { return "LRU: bad prev at \(w)" }
            guard let type = valueType(w) else { return "bad type at \(w)" }
            let value = type == .list ? 8 : valueLen(w)
            guard EntryLayout.words(key: keyLen(w), value: value) <= blockSize(w) else { return "entry overflows \(w)" }
            if type == .list {
                var n = listHead(w)
                var before = 0
                var count = 0
                while n != 0 {
                    guard isBlock(n, start, marks.count), marks[n - start] == .used else { return "list: bad node" }
                    marks[n - start] = .node
                    guard isListNode(n) else { return "node \(n) marked as an entry" }
                    guard nodePrev(n) == before, nodeOwner(n) == w, ListLayout.nodeWords(nodeLen(n)) <= blockSize(n)
                    else {
                        return "list: bad node \(n)"
                    }
                    count += 1
                    before = n
                    n = nodeNext(n)
                }
                guard count == valueLen(w), count > 0, listTail(w) == before else { return "list: bad ends at \(w)" }
                nodes += count
            }
            entries += 1
            prev = w
            w = lruNext(w)
        }
        guard lruTail == prev, entries == entryCount else { return "LRU: \(entries) entries, count \(entryCount)" }
        guard nodes == listNodeCount else { return "\(nodes) list nodes, count \(listNodeCount)" }
        return entries + nodes == usedBlocks ? nil : "\(usedBlocks - entries - nodes) used blocks unreachable"
    }

    private func verifyBuckets(_ marks: [Mark], _ start: Int) -> String? {
        var chained = 0
        for i in 0...bucketMask {
            var w = word(bucketsByte + i * 4)
            while w != 0 {
                guard isBlock(w, start, marks.count), marks[w - start] == .entry else { return "bucket \(i): bad" }
                let key = UnsafeRawBufferPointer(start: keyPointer(w), count: keyLen(w))
                guard Int(entryHash(w)) & bucketMask == i, hashKey(key) == entryHash(w) else {
                    return "bucket \(i): bad hash"
                }
                chained += 1
                guard chained <= entryCount else { return "chains hold more than the entries" }
                w = hashNext(w)
            }
        }
        return chained == entryCount ? nil : "chains hold \(chained) of \(entryCount) entries"
    }
}
