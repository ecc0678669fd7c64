import SharedDict
import Testing

/// get/set/add/replace/delete/safe_* return conventions, flags and in-place updates.
@Suite struct StoreTests {
    @Test func setThenGet() {
        let z = TestZone()
        #expect(z.set("x", "hello world") == StoreResult(ok: true, error: nil, forcible: false))
        #expect(z.get("x") == "hello world")
        #expect(z.item("nope").value == .missing)
        #expect(z.dict.verify() == nil)
    }

    @Test func numbersBooleansAndFlags() {
        let z = TestZone()
        z.setNumber("n", 3.5)
        #expect(z.item("n") == DictItem(value: .number(3.5), flags: 0, stale: false))
        _ = z.with("b") { z.dict.store($0, .boolean(false), flags: 7, now: z.now) }
        #expect(z.item("b") == DictItem(value: .boolean(false), flags: 7, stale: false))
        z.set("s", "v", flags: 0xffff_ffff)
        #expect(z.item("s").flags == 0xffff_ffff)
    }

    @Test func addAndReplace() {
        let z = TestZone()
        #expect(z.set("k", "1", mode: .replace) == StoreResult(ok: false, error: .notFound, forcible: false))
        #expect(z.set("k", "1", mode: .add).ok)
        #expect(z.set("k", "2", mode: .add) == StoreResult(ok: false, error: .exists, forcible: false))
        #expect(z.get("k") == "1")
        #expect(z.set("k", "3", mode: .replace).ok)
        #expect(z.get("k") == "3")
        #expect(z.set("k", "4", mode: .add, safe: true).error == .exists)
    }

    @Test func addAndReplaceTreatExpiredAsMissing() {
        let z = TestZone()
        z.set("k", "old", exptime: 10)
        z.now += 10
        #expect(z.set("k", "r", mode: .replace).error == .notFound)
        #expect(z.set("k", "new", mode: .add).ok)
        #expect(z.get("k") == "new")
    }

    @Test func nilDeletes() {
        let z = TestZone()
        z.set("k", "v")
        #expect(z.set("k", nil) == StoreResult(ok: true, error: nil, forcible: false))
        #expect(z.item("k").value == .missing)
        #expect(z.set("absent", nil).ok)
        #expect(z.dict.stats.entries == 0)
        #expect(z.dict.freeSpace == z.dict.heapBytes)
    }

    @Test func overwriteShrinksAndGrows() {
        let z = TestZone()
        z.set("k", String(repeating: "a", count: 1000))
        let afterBig = z.dict.freeSpace
        z.set("k", "small")
        #expect(z.dict.freeSpace > afterBig)
        #expect(z.get("k") == "small")
        z.set("k", String(repeating: "b", count: 3000))
        #expect(z.get("k") == String(repeating: "b", count: 3000))
        #expect(z.dict.stats.entries == 1)
        #expect(z.dict.verify() == nil)
    }

    @Test func binaryKeysAndValues() {
        let z = TestZone()
        let key: [UInt8] = [0, 1, 0, 255]
        let value: [UInt8] = [0, 0, 10, 13, 0, 200]
        let r = key.withUnsafeBytes { k in value.withUnsafeBytes { z.dict.store(k, .string($0), now: z.now) } }
        #expect(r.ok)
        let other: [UInt8] = [0, 1, 0, 254]
        #expect(other.withUnsafeBytes { z.dict.get($0, now: z.now, into: z.buffer) }.value == .missing)
        let item = key.withUnsafeBytes { z.dict.get($0, now: z.now, into: z.buffer) }
        #expect(item.value == .string(6))
        #expect(Array(UnsafeRawBufferPointer(start: z.buffer.bytes, count: 6)) == value)
    }

    @Test func longKeys() {
        let z = TestZone(size: 256 * 1024)
        let k = String(repeating: "k", count: 65535)
        #expect(z.set(k, "v").ok)
        #expect(z.get(k) == "v")
    }

    @Test func emptyStringValue() {
        let z = TestZone()
        z.set("e", "")
        #expect(z.item("e").value == .string(0))
    }

    @Test func capacityAndFreeSpace() {
        let z = TestZone(size: 32 * 1024)
        #expect(z.dict.capacity == 32 * 1024)
        let empty = z.dict.freeSpace
        #expect(empty == z.dict.heapBytes)
        #expect(empty > 28 * 1024)
        z.set("k", String(repeating: "x", count: 100))
        // 44 bytes of fields + 1 key byte + 100 value bytes, rounded to 8.
        #expect(empty - z.dict.freeSpace == 152)
    }

    @Test func tooSmallOrTooLargeZone() {
        let p = UnsafeMutableRawPointer.allocate(byteCount: 8192, alignment: 64)
        defer { p.deallocate() }
        #expect(DictZone(formatting: p, size: 8191) == nil)
        #expect(DictZone(formatting: p, size: 8192) != nil)
        #expect(DictZone(formatting: p, size: DictZone.maximumSize + 1) == nil)
    }
}
