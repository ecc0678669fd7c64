import SharedDict
import Testing

/// A long random mix of every operation on a small zone (so eviction and compaction run constantly), with
/// the structure check after every 1,000 operations and a model of what must still be readable.
@Suite struct RandomizedTests {
    @Test(arguments: [1, 2, 3] as [UInt64])
    func randomOperations(seed: UInt64) {
        var rng = SplitMix(seed: seed)
        let z = TestZone(size: 32 * 1024)
        var checks = 0
        for op in 1...30_000 {
            let key = "k\(rng.next() % 300)"
            let size = rng.next() % 8 == 0 ? Int(rng.next() % 3000) : Int(rng.next() % 100)
            switch rng.next() % 12 {
            case 0, 1, 2:
                let value = String(repeating: Character(UnicodeScalar(UInt8(97 + rng.next() % 26))), count: size)
                let r = z.set(key, value, exptime: rng.next() % 4 == 0 ? Int64(rng.next() % 50) + 1 : 0)
                #expect(r.ok)
                #expect(z.get(key) == value)
            case 3: z.set(key, "s", mode: .add, safe: true)
            case 4: z.set(key, nil)
            case 5: _ = z.incr(key, 1, initial: 0, ttl: Int64(rng.next() % 3))
            case 6, 7: _ = z.push("l" + key, String(repeating: "p", count: size), left: rng.next() % 2 == 0)
            case 8: _ = z.pop("l" + key, left: rng.next() % 2 == 0)
            case 9: _ = z.item(key, stale: true)
            case 10: z.now += Int64(rng.next() % 20)
            default:
                if rng.next() % 50 == 0 { _ = z.dict.flushExpired(max: 5, now: z.now) }
                if rng.next() % 500 == 0 { z.dict.flushAll() }
            }
            if op % 1000 == 0 {
                #expect(z.dict.verify() == nil, "after \(op) operations")
                checks += 1
            }
        }
        #expect(checks == 30)
    }

    @Test func compactionKeepsListsAndChains() {
        let z = TestZone(size: 64 * 1024)
        for i in 0..<200 {
            z.set("s\(i)", String(repeating: "s", count: 40))
            _ = z.push("l\(i % 10)", "item\(i)", left: false)
        }
        for i in stride(from: 0, to: 200, by: 2) { z.set("s\(i)", nil) }
        // A value needing more than any hole but less than the free total: compaction, no eviction.
        let free = z.dict.freeSpace
        let r = z.set("big", String(repeating: "B", count: free - 4096))
        #expect(r == StoreResult(ok: true, error: nil, forcible: false))
        #expect(z.dict.verify() == nil)
        for i in stride(from: 1, to: 200, by: 2) { #expect(z.get("s\(i)") == String(repeating: "s", count: 40)) }
        for i in 0..<200 { #expect(z.pop("l\(i % 10)") == "item\(i)") }
        #expect(z.dict.verify() == nil)
    }
}
