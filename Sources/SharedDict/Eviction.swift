/// Making room for a write: expired entries first, then least recently used ones, as many as needed.
extension Zone {
    /// A used block of `n` words, making room when the heap has no block that large: expired entries go first;
    /// then, when `evict`, live entries from the LRU tail, one at a time until the allocation succeeds. `keep`
    /// (an entry the write is using) is never removed. `forcible` is set once a live entry was evicted.
    /// Nil only when `n` exceeds the heap, or when the zone cannot hold it beside `keep`, or without `evict`.
    func allocateEvicting(words n: Int, evict: Bool, keep: Int, now: Int64, forcible: inout Bool) -> Int? {
        if let w = allocate(words: n) { return w }
        if n > heapWords { return nil }
        if purgeExpired(now: now, keep: keep) > 0, let w = allocate(words: n) { return w }
        guard evict else { return nil }
        var victim = lruTail
        while victim != 0 {
            let prev = lruPrev(victim)
            if victim != keep {
                removeEntry(victim)
                forcible = true
                if let w = allocate(words: n) { return w }
            }
            victim = prev
        }
        return nil
    }

    /// Frees expired entries: the 64 least recently used ones are checked every time, and the whole LRU list
    /// at most once a second (so a zone under pressure does not walk every entry on every write). Returns the
    /// count freed.
    func purgeExpired(now: Int64, keep: Int) -> Int {
        let last = i64(Header.lastSweep)
        let full = last + 1000 <= now || last > now
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
