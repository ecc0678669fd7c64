/// Making room for a write: expired entries first, then least recently used ones, as many as needed.
extension Zone {
    /// A used block of `n` words, making room when no free block is that large, in this order: expired
    /// entries; then compaction, when the free words add up to `n` and fragmentation is worth it (a tenth of
    /// the heap is free, or a `safe` write would fail otherwise); then, when `evict`, live entries from the
    /// LRU tail, one at a time, until the block fits or compaction can make it fit. `keep` (an entry the write
    /// is using) is never removed, and is updated if compaction moves it. `forcible` is set once a live entry
    /// was evicted. Nil only when `n` exceeds the heap (or the heap beside `keep`), or without `evict`.
    func allocateEvicting(words n: Int, evict: Bool, keep: inout Int, now: Int64, forcible: inout Bool) -> Int? {
        if let w = allocate(words: n) { return w }
        if n > heapWords { return nil }
        if purgeExpired(now: now, keep: keep, thorough: !evict) > 0, let w = allocate(words: n) { return w }
        if freeWords >= n && (!evict || freeWords * 10 >= heapWords) {
            compact(keep: &keep)
            return allocate(words: n)
        }
        guard evict else { return nil }
        var victim = lruTail
        while victim != 0 {
            let prev = lruPrev(victim)
            if victim != keep {
                removeEntry(victim)
                forcible = true
                if let w = allocate(words: n) { return w }
                if freeWords >= n && freeWords * 10 >= heapWords {
                    compact(keep: &keep)
                    return allocate(words: n)
                }
            }
            victim = prev
        }
        if freeWords >= n {
            compact(keep: &keep)
            return allocate(words: n)
        }
        return nil
    }

    /// Frees expired entries: the 64 least recently used ones are checked every time, and the whole LRU list
    /// when `thorough` or at most once a second otherwise (so a zone under pressure does not walk every entry
    /// on every write). Returns the count freed.
    func purgeExpired(now: Int64, keep: Int, thorough: Bool) -> Int {
        let last = i64(Header.lastSweep)
        let full = thorough || last + 1000 <= now || last > now
        if full { setI64(Header.lastSweep, now) }
        var freed = 0
        var w = lruTail
        var seen = 0
        while w != 0 && (full || seen < 64) {
            let prev = lruPrev(w)
            if w != keep && isExpired(w, now: now) {
                removeEntry(w)
                freed += 1
            }
            w = prev
            seen += 1
        }
        return freed
    }
}
