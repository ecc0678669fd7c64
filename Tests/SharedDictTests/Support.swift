import Glibc
import SharedDict

/// A zone in shared anonymous memory (as the master maps it), with helpers that take Swift strings.
final class TestZone {
    let dict: DictZone
    let size: Int
    let buffer = ValueBuffer()
    /// The manual clock, in ms.
    var now: Int64 = 1_000_000

    init(size: Int = 64 * 1024) {
        self.size = size
        let p = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0)
        precondition(p != MAP_FAILED)
        dict = DictZone(formatting: p!, size: size)!
    }

    deinit { munmap(dict.base, size) }

    func with<R>(_ key: String, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        var key = key
        return key.withUTF8 { body(UnsafeRawBufferPointer($0)) }
    }

    @discardableResult
    func set(
        _ key: String,
        _ value: String?,
        exptime: Int64 = 0,
        flags: UInt32 = 0,
        mode: StoreMode = .set,
        safe: Bool = false
    ) -> StoreResult {
        with(key) { k in
            guard var value else { return dict.store(k, nil, mode: mode, safe: safe, now: now) }
            return value.withUTF8 { v in
                dict.store(
                    k,
                    .string(UnsafeRawBufferPointer(v)),
                    exptime: exptime,
                    flags: flags,
                    mode: mode,
                    safe: safe,
                    now: now
                )
            }
        }
    }

    @discardableResult
    func setNumber(_ key: String, _ value: Double, exptime: Int64 = 0) -> StoreResult {
        with(key) { dict.store($0, .number(value), exptime: exptime, now: now) }
    }

    /// A string value, or nil when missing / not a string.
    func get(_ key: String, stale: Bool = false) -> String? {
        guard case .string(let n) = item(key, stale: stale).value else { return nil }
        return String(decoding: UnsafeRawBufferPointer(start: buffer.bytes, count: n), as: UTF8.self)
    }

    func item(_ key: String, stale: Bool = false) -> DictItem {
        with(key) { dict.get($0, now: now, stale: stale, into: buffer) }
    }

    func incr(_ key: String, _ by: Double, initial: Double? = nil, ttl: Int64 = 0) -> Result<Incremented, DictError> {
        with(key) { dict.incr($0, by: by, initial: initial, initialTTL: ttl, now: now) }
    }

    func push(_ key: String, _ value: String, left: Bool = true) -> Result<Int, DictError> {
        var value = value
        return with(key) { k in
            value.withUTF8 { dict.push(k, .string(UnsafeRawBufferPointer($0)), left: left, now: now) }
        }
    }

    func pop(_ key: String, left: Bool = true) -> String? {
        let r = with(key) { dict.pop($0, left: left, now: now, into: buffer) }
        switch r {
        case .success(.string(let n)):
            return String(decoding: UnsafeRawBufferPointer(start: buffer.bytes, count: n), as: UTF8.self)
        case .success(.number(let d)): return "#\(d)"
        default: return nil
        }
    }

    func keys(max: Int = 0) -> [String] {
        dict.keys(max: max, now: now).map { String(decoding: $0, as: UTF8.self) }
    }
}
