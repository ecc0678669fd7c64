import SharedDict
import Testing

/// Eviction: expired first, then LRU, as many as needed; forcible; safe_* refusals; fragmentation.
@Suite struct EvictionTests {
    /// Fills the zone with `count` entries of `size`-byte values named k0, k1, ...; returns how many fit
    /// before the first forced eviction.
    func fill(_ z: TestZone, size: Int, count: Int = 100_000) -> Int {
        let v = String(repeating: "v", count: size)
        for i in 0..<count where z.set("k\(i)", v).forcible { return i }
        return count
    }

    @Test func lruOrderAndForcible() {
        let z = TestZone(size: 16 * 1024)
        let fitted = fill(z, size: 200)
        #expect(fitted > 40)
        // The oldest keys went first; the newest are all there.
        #expect(z.get("k0") == nil)
        #expect(z.get("k\(fitted)") != nil)
        #expect(z.get("k\(fitted - 1)") != nil)
        #expect(z.dict.verify() == nil)
    }

    @Test func readsRefreshTheLRU() {
        let z = TestZone(size: 16 * 1024)
        let v = String(repeating: "v", count: 200)
        z.set("keep", v)
        var i = 0
        while !z.set("k\(i)", v).forcible {
            _ = z.get("keep")
            i += 1
        }
        #expect(z.get("keep") == v)
        #expect(z.get("k0") == nil)
    }

    @Test func expiredEntriesGoBeforeLiveOnes() {
        let z = TestZone(size: 16 * 1024)
        let v = String(repeating: "v", count: 200)
        var i = 0
        // Alternate live and expiring entries until full.
        while true {
            let r = z.set("k\(i)", v, exptime: i % 2 == 0 ? 0 : 50)
            if r.forcible || z.dict.freeSpace < 300 { break }
            i += 1
        }
        z.now += 100
        let r = z.set("new", String(repeating: "n", count: 1000))
        #expect(r == StoreResult(ok: true, error: nil, forcible: false))
        for j in stride(from: 0, to: i, by: 2) { #expect(z.get("k\(j)") == v) }
        #expect(z.dict.verify() == nil)
    }

    @Test func asManyAsNeededForAFragmentedZone() {
        let z = TestZone(size: 64 * 1024)
        let fitted = fill(z, size: 8)
        #expect(fitted > 700)
        // Delete every other entry: half the zone is free, in holes of one small entry each.
        for i in stride(from: 0, to: fitted, by: 2) { z.set("k\(i)", nil) }
        #expect(z.dict.freeSpace > 20 * 1024)
        let half = String(repeating: "H", count: z.dict.capacity / 2)
        let r = z.set("big", half)
        #expect(r.ok && r.forcible)
        #expect(z.get("big") == half)
        #expect(z.dict.verify() == nil)
        // And again with the largest value an empty zone holds.
        let largest = z.dict.heapBytes - 44 - 3
        let r2 = z.set("max", String(repeating: "M", count: largest))
        #expect(r2.ok && r2.forcible)
        #expect(z.dict.stats.entries == 1)
        #expect(z.dict.freeSpace == 0)
    }

    @Test func mixedSizesThenLargeValues() {
        var rng = SplitMix(seed: 7)
        let z = TestZone(size: 256 * 1024)
        for i in 0..<5000 { z.set("m\(i)", String(repeating: "x", count: Int(rng.next() % 2048) + 1)) }
        for i in 0..<200 where i % 3 == 0 { z.set("m\(4000 + i)", nil) }
        for size in [50_000, 120_000, 30_000, 200_000] {
            let r = z.set("L\(size)", String(repeating: "L", count: size))
            #expect(r.ok, "value of \(size) bytes")
            #expect(z.dict.verify() == nil)
        }
    }

    @Test func tooLargeChangesNothing() {
        let z = TestZone(size: 16 * 1024)
        z.set("a", "1")
        z.set("b", "2")
        let before = z.dict.stats
        let r = z.set("a", String(repeating: "x", count: 16 * 1024))
        #expect(r == StoreResult(ok: false, error: .noMemory, forcible: false))
        #expect(z.dict.stats == before)
        #expect(z.get("a") == "1" && z.get("b") == "2")
    }

    @Test func safeFormsNeverEvictLiveEntries() {
        let z = TestZone(size: 16 * 1024)
        let v = String(repeating: "v", count: 200)
        var i = 0
        while z.set("k\(i)", v, safe: true).ok { i += 1 }
        #expect(z.set("k\(i)", v, safe: true) == StoreResult(ok: false, error: .noMemory, forcible: false))
        #expect(z.set("new", v, mode: .add, safe: true).error == .noMemory)
        for j in 0..<i { #expect(z.get("k\(j)") == v) }
        // Expired entries are not live: a safe write may reuse them.
        z.set("k0", v, exptime: 10, mode: .replace)
        z.now += 20
        #expect(z.set("again", v, safe: true) == StoreResult(ok: true, error: nil, forcible: false))
    }

    @Test func occupancyBeforeFirstForcedEviction() {
        // Random sizes from 1 B to 4 KiB: the payload (keys and values) when the first eviction is forced.
        var rng = SplitMix(seed: 42)
        let z = TestZone(size: 4 * 1024 * 1024)
        var payload = 0
        var i = 0
        while true {
            let key = "key\(i)"
            let size = Int(rng.next() % 4096) + 1
            if z.set(key, String(repeating: "p", count: size)).forcible { break }
            payload += key.utf8.count + size
            i += 1
        }
        let occupancy = Double(payload) / Double(z.dict.capacity)
        #expect(occupancy > 0.85, "occupancy \(occupancy)")
    }
}

/// A small deterministic random generator for tests.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}
