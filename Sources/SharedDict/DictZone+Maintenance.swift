/// Expiry (`ttl`, `expire`), flushing, key listing and the zone's figures.
extension DictZone {
    /// Milliseconds until `key` expires, 0 when it never does; `.notFound` when missing or expired.
    public func ttl(_ key: UnsafeRawBufferPointer, now: Int64) -> Result<Int64, DictError> {
        let h = hashKey(key)
        return zone.locked {
            let w = zone.find(key, h)
            if w == 0 || zone.isExpired(w, now: now) { return .failure(.notFound) }
            let e = zone.expires(w)
            return .success(e == 0 ? 0 : e - now)
        }
    }

    /// Sets `key` to expire `exptime` ms from now (0: never); `.notFound` when missing or expired.
    public func expire(_ key: UnsafeRawBufferPointer, exptime: Int64, now: Int64) -> DictError? {
        let h = hashKey(key)
        return zone.locked {
            let w = zone.find(key, h)
            if w == 0 || zone.isExpired(w, now: now) { return .notFound }
            zone.setExpires(w, exptime > 0 ? now &+ exptime : 0)
            return nil
        }
    }

    /// `flush_all`: marks every entry expired (memory is reclaimed by writes and `flushExpired`).
    public func flushAll() {
        zone.locked {
            var w = zone.lruHead
            while w != 0 {
                zone.setExpires(w, Int64.min)
                w = zone.lruNext(w)
            }
        }
    }

    /// `flush_expired(max)`: frees expired entries, least recently used first, at most `max` (0: all); returns
    /// how many.
    public func flushExpired(max: Int = 0, now: Int64) -> Int {
        zone.locked {
            var freed = 0
            var w = zone.lruTail
            while w != 0 && (max <= 0 || freed < max) {
                let prev = zone.lruPrev(w)
                if zone.isExpired(w, now: now) {
                    zone.removeEntry(w)
                    freed += 1
                }
                w = prev
            }
            return freed
        }
    }

    /// `get_keys(max)`: the live keys, most recently used first, at most `max` (0: all).
    public func keys(max: Int = 1024, now: Int64) -> [[UInt8]] {
        zone.locked {
            var out: [[UInt8]] = []
            var w = zone.lruHead
            while w != 0 && (max <= 0 || out.count < max) {
                if !zone.isExpired(w, now: now) {
                    out.append(Array(UnsafeRawBufferPointer(start: zone.keyPointer(w), count: zone.keyLen(w))))
                }
                w = zone.lruNext(w)
            }
            return out
        }
    }

    /// `capacity()`: the zone's size in bytes.
    public var capacity: Int { zone.size }

    /// `free_space()`: bytes in free blocks.
    public var freeSpace: Int { zone.locked { zone.freeWords << 3 } }

    /// The bytes the heap can hold: the largest block an empty zone has.
    public var heapBytes: Int { zone.heapWords << 3 }

    /// Counters for tests and benchmarks.
    public struct Stats: Equatable, Sendable {
        public var entries: Int
        public var listNodes: Int
        public var freeBytes: Int
        /// Locks that found their previous owner dead.
        public var recoveries: Int
        /// Recoveries that found the structure broken and emptied the zone.
        public var resets: Int
    }

    public var stats: Stats {
        zone.locked {
            Stats(
                entries: zone.entryCount,
                listNodes: zone.listNodeCount,
                freeBytes: zone.freeWords << 3,
                recoveries: Int(zone.u32(Header.recoveries)),
                resets: Int(zone.u32(Header.resets))
            )
        }
    }

    /// Walks the whole structure under the lock: nil when consistent, else what is wrong (Verify.swift).
    public func verify() -> String? { zone.locked { zone.verify() } }

    /// For the master, after it reaped `pid`: if that dead process still holds the lock, takes it over, runs the
    /// recovery a waiter would (counted in `recoveries`) and releases it. True when it did.
    public func releaseLock(ofDead pid: Int32) -> Bool { zone.releaseLock(ofDead: pid) }

    /// The pid holding the lock, 0 when it is free (a test hook: the answer may be stale at once).
    public var lockOwner: Int32 { zone.lockOwner }

    /// Test hook: takes the lock and never returns (optionally breaking the structure first), so a test can
    /// kill a process inside the lock.
    public func lockAndHang(corrupting: Bool = false) -> Never { zone.lockAndHang(corrupting: corrupting) }
}
