import SharedDict
import Testing

/// incr, lists, ttl/expire, stale reads, flush_all/flush_expired, get_keys.
@Suite struct ValueOpsTests {
    @Test func incrWithoutInit() {
        let z = TestZone()
        #expect(z.incr("c", 1) == .failure(.notFound))
        z.setNumber("c", 10)
        #expect(z.incr("c", 5) == .success(Incremented(value: 15, forcible: false)))
        #expect(z.incr("c", -0.5) == .success(Incremented(value: 14.5, forcible: false)))
        z.set("s", "text")
        #expect(z.incr("s", 1) == .failure(.notANumber))
        #expect(z.incr("s", 1, initial: 0) == .failure(.notANumber))
    }

    @Test func incrWithInitAndTTL() {
        let z = TestZone()
        #expect(z.incr("c", 2, initial: 10, ttl: 100) == .success(Incremented(value: 12, forcible: false)))
        #expect(z.incr("c", 1, initial: 10, ttl: 5) == .success(Incremented(value: 13, forcible: false)))
        // The existing key kept its first expiry.
        #expect(z.with("c") { z.dict.ttl($0, now: z.now) } == .success(100))
        z.now += 100
        #expect(z.incr("c", 1) == .failure(.notFound))
        #expect(z.incr("c", 1, initial: 0) == .success(Incremented(value: 1, forcible: false)))
        #expect(z.with("c") { z.dict.ttl($0, now: z.now) } == .success(0))
    }

    @Test func incrWithInitEvicts() {
        let z = TestZone(size: 16 * 1024)
        var i = 0
        while !z.set("k\(i)", String(repeating: "v", count: 300)).forcible { i += 1 }
        var forced = false
        for j in 0..<200 {
            if case .success(let r) = z.incr("n\(j)", 1, initial: 0), r.forcible { forced = true }
        }
        #expect(forced)
        #expect(z.dict.verify() == nil)
    }

    @Test func lists() {
        let z = TestZone()
        #expect(z.push("l", "a") == .success(1))
        #expect(z.push("l", "b") == .success(2))
        #expect(z.push("l", "z", left: false) == .success(3))
        #expect(z.with("l") { z.dict.push($0, .number(7), left: false, now: z.now) } == .success(4))
        #expect(z.with("l") { z.dict.llen($0, now: z.now) } == .success(4))
        #expect(z.dict.verify() == nil)
        #expect(z.pop("l") == "b")
        #expect(z.pop("l", left: false) == "#7.0")
        #expect(z.pop("l", left: false) == "z")
        #expect(z.pop("l") == "a")
        #expect(z.pop("l") == nil)
        #expect(z.with("l") { z.dict.llen($0, now: z.now) } == .success(0))
        #expect(z.dict.stats.entries == 0 && z.dict.stats.listNodes == 0)
        #expect(z.dict.freeSpace == z.dict.heapBytes)
    }

    @Test func listTypeErrors() {
        let z = TestZone()
        z.set("s", "v")
        #expect(z.push("s", "x") == .failure(.notAList))
        #expect(z.with("s") { z.dict.llen($0, now: z.now) } == .failure(.notAList))
        #expect(z.with("s") { z.dict.pop($0, left: true, now: z.now, into: z.buffer) } == .failure(.notAList))
        _ = z.push("l", "x")
        #expect(z.item("l").value == .list)
        #expect(z.incr("l", 1) == .failure(.notANumber))
        // set replaces a list with a plain value.
        #expect(z.set("l", "plain").ok)
        #expect(z.get("l") == "plain")
        #expect(z.dict.stats.listNodes == 0)
    }

    @Test func expiredListIsMissing() {
        let z = TestZone()
        _ = z.push("l", "x")
        #expect(z.with("l") { z.dict.expire($0, exptime: 10, now: z.now) } == nil)
        z.now += 10
        #expect(z.with("l") { z.dict.llen($0, now: z.now) } == .success(0))
        #expect(z.push("l", "y") == .success(1))
        #expect(z.pop("l") == "y")
    }

    @Test func listsUnderPressure() {
        let z = TestZone(size: 16 * 1024)
        var n = 0
        for _ in 0..<2000 {
            if case .success(let len) = z.push("big", String(repeating: "i", count: 100)) { n = len }
        }
        #expect(n > 50)
        #expect(z.dict.verify() == nil)
        // Another key needing room evicts the list (the only entry) as a whole.
        #expect(z.set("other", String(repeating: "o", count: 8000)).forcible)
        #expect(z.with("big") { z.dict.llen($0, now: z.now) } == .success(0))
        #expect(z.dict.verify() == nil)
    }

    @Test func millisecondExpiryAndTTL() {
        let z = TestZone()
        z.set("k", "v", exptime: 1)
        #expect(z.with("k") { z.dict.ttl($0, now: z.now) } == .success(1))
        #expect(z.get("k") == "v")
        z.now += 1
        #expect(z.get("k") == nil)
        #expect(z.with("k") { z.dict.ttl($0, now: z.now) } == .failure(.notFound))
        #expect(z.with("k") { z.dict.expire($0, exptime: 100, now: z.now) } == .notFound)
        z.set("p", "v")
        #expect(z.with("p") { z.dict.ttl($0, now: z.now) } == .success(0))
        #expect(z.with("p") { z.dict.expire($0, exptime: 2500, now: z.now) } == nil)
        z.now += 500
        #expect(z.with("p") { z.dict.ttl($0, now: z.now) } == .success(2000))
        #expect(z.with("p") { z.dict.expire($0, exptime: 0, now: z.now) } == nil)
        z.now += 1_000_000
        #expect(z.get("p") == "v")
    }

    @Test func staleReads() {
        let z = TestZone()
        z.set("k", "v", exptime: 10, flags: 3)
        #expect(z.item("k", stale: true) == DictItem(value: .string(1), flags: 3, stale: false))
        z.now += 10
        #expect(z.item("k").value == .missing)
        #expect(z.item("k", stale: true) == DictItem(value: .string(1), flags: 3, stale: true))
    }

    @Test func flushAllAndFlushExpired() {
        let z = TestZone()
        for i in 0..<10 { z.set("k\(i)", "v") }
        z.dict.flushAll()
        #expect(z.get("k1") == nil)
        #expect(z.item("k1", stale: true).stale)
        #expect(z.keys().isEmpty)
        #expect(z.dict.stats.entries == 10)
        #expect(z.dict.flushExpired(max: 3, now: z.now) == 3)
        #expect(z.dict.flushExpired(now: z.now) == 7)
        #expect(z.dict.stats.entries == 0)
        #expect(z.dict.freeSpace == z.dict.heapBytes)
        z.set("a", "1", exptime: 5)
        z.set("b", "1")
        z.now += 5
        #expect(z.dict.flushExpired(now: z.now) == 1)
        #expect(z.get("b") == "1")
    }

    @Test func getKeys() {
        let z = TestZone()
        for i in 0..<5 { z.set("k\(i)", "v") }
        z.set("gone", "v", exptime: 1)
        z.now += 1
        _ = z.get("k0")
        #expect(z.keys() == ["k0", "k4", "k3", "k2", "k1"])
        #expect(z.keys(max: 2) == ["k0", "k4"])
        for i in 0..<1500 { z.set("n\(i)", "v") }
        #expect(z.dict.keys(now: z.now).count == 1024)
    }
}
