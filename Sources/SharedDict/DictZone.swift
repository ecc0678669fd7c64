/// A value to store: OpenResty's string, number and boolean (nil, which deletes, is `store(_, nil, ...)`).
public enum DictValue {
    case string(UnsafeRawBufferPointer)
    case number(Double)
    case boolean(Bool)
}

/// Why an operation did nothing; the Lua binding maps each case to OpenResty's string.
public enum DictError: Error, Equatable, Sendable {
    /// `add` of a live key ("exists").
    case exists
    /// `replace`, `incr` without init, `ttl`, `expire` of a missing or expired key ("not found").
    case notFound
    /// The value does not fit, or a `safe_*` write would have to evict ("no memory").
    case noMemory
    /// `incr` of a value that is not a number ("not a number").
    case notANumber
    /// A list operation on a value that is not a list ("value not a list").
    case notAList
}

/// What a read found. Strings are copied into the caller's `ValueBuffer`: `.string(n)` is its first n bytes.
public enum DictRead: Equatable, Sendable {
    case missing
    case string(Int)
    case number(Double)
    case boolean(Bool)
    /// The value is a list (`get` cannot return it).
    case list
}

/// A value read by `get`, with its user flags and whether it had expired (`get_stale`).
public struct DictItem: Equatable, Sendable {
    public var value: DictRead
    public var flags: UInt32
    public var stale: Bool

    public init(value: DictRead, flags: UInt32, stale: Bool) {
        self.value = value
        self.flags = flags
        self.stale = stale
    }
}

/// The three store operations; each has a `safe` form that never evicts live entries.
public enum StoreMode: Sendable {
    case set, add, replace
}

/// OpenResty's `ok, err, forcible`: `forcible` is true when live entries were evicted to make room.
public struct StoreResult: Equatable, Sendable {
    public var ok: Bool
    public var error: DictError?
    public var forcible: Bool

    public init(ok: Bool, error: DictError?, forcible: Bool) {
        self.ok = ok
        self.error = error
        self.forcible = forcible
    }

    static let stored = StoreResult(ok: true, error: nil, forcible: false)
    static func failed(_ e: DictError, forcible: Bool = false) -> StoreResult {
        StoreResult(ok: false, error: e, forcible: forcible)
    }
}

/// `incr`'s new value, and whether creating it (with init) evicted live entries.
public struct Incremented: Equatable, Sendable {
    public var value: Double
    public var forcible: Bool

    public init(value: Double, forcible: Bool) {
        self.value = value
        self.forcible = forcible
    }
}

/// A shared dictionary: the engine over one zone of raw memory that every process maps (created before
/// the fork). Every operation takes the zone's lock and the current time `now` in milliseconds (the caller's
/// clock: tests pass a manual one), and is atomic across processes. No Lua, no event loop, no allocation
/// outside the zone except the caller's `ValueBuffer` and the keys `keys(max:now:)` returns.
///
/// Keys are 1 to 65535 bytes (the binding checks); expiry times are relative milliseconds, 0 meaning never.
public struct DictZone: @unchecked Sendable {
    @usableFromInline let zone: Zone

    /// nginx's minimum (`lua_shared_dict` refuses 8191 bytes and less).
    public static let minimumSize = 8192
    /// The largest zone: the heap is addressed with 31-bit block sizes of 8-byte words.
    public static let maximumSize = 1 << 34

    /// The zone's memory.
    public var base: UnsafeMutableRawPointer { zone.base }

    /// Formats `size` bytes at `base` (zeroed or not) as an empty dictionary with its lock; nil when the size is
    /// out of range.
    public init?(formatting base: UnsafeMutableRawPointer, size: Int) {
        guard size >= DictZone.minimumSize, size <= DictZone.maximumSize else { return nil }
        zone = Zone(base: base)
        zone.initializeLock()
        zone.formatStructure(size: size)
    }

    /// A view of a zone that `init(formatting:size:)` set up (in this process or before a fork). Inlinable: the
    /// FFI fast paths make one per call.
    @inlinable public init(attachingTo base: UnsafeMutableRawPointer) {
        zone = Zone(base: base)
    }

    /// `get`/`get_stale`: the value (copied into `buffer` for strings) and its flags. An expired entry reads as
    /// missing, unless `stale`, which returns it with `stale == true`. A read makes the entry most recently used.
    public func get(
        _ key: UnsafeRawBufferPointer,
        now: Int64,
        stale: Bool = false,
        into buffer: ValueBuffer
    )
        -> DictItem
    {
        let h = hashKey(key)
        return zone.locked {
            let w = zone.find(key, h)
            guard w != 0 else { return DictItem(value: .missing, flags: 0, stale: false) }
            let expired = zone.isExpired(w, now: now)
            if expired && !stale { return DictItem(value: .missing, flags: 0, stale: false) }
            zone.touch(w)
            return DictItem(value: read(w, into: buffer), flags: zone.userFlags(w), stale: expired)
        }
    }

    private func read(_ w: Int, into buffer: ValueBuffer) -> DictRead {
        let p = zone.valuePointer(w)
        switch zone.valueType(w) {
        case .string:
            let n = zone.valueLen(w)
            buffer.copy(from: p, count: n)
            return .string(n)
        case .number: return .number(Double(bitPattern: p.loadUnaligned(as: UInt64.self)))
        case .boolean: return .boolean(p.load(as: UInt8.self) != 0)
        case .list, nil: return .list
        }
    }

    /// `set`, `add`, `replace` and their `safe_` forms; a nil value deletes. A write that needs room evicts
    /// expired entries, then (unless `safe`) least recently used ones, as many as needed. A value too large
    /// for the empty zone fails with `.noMemory` and changes nothing.
    public func store(
        _ key: UnsafeRawBufferPointer,
        _ value: DictValue?,
        exptime: Int64 = 0,
        flags: UInt32 = 0,
        mode: StoreMode = .set,
        safe: Bool = false,
        now: Int64
    ) -> StoreResult {
        let (type, len) = Self.shape(value)
        let need = EntryLayout.words(key: key.count, value: len)
        if value != nil && need > zone.heapWords { return .failed(.noMemory) }
        let h = hashKey(key)
        return zone.locked {
            var w = zone.find(key, h)
            if w != 0 && mode != .set && zone.isExpired(w, now: now) {
                zone.removeEntry(w)
                w = 0
            }
            if mode == .add && w != 0 { return .failed(.exists) }
            if mode == .replace && w == 0 { return .failed(.notFound) }
            guard let value else {
                if w != 0 { zone.removeEntry(w) }
                return .stored
            }
            let expires = exptime > 0 ? now &+ exptime : 0
            if w != 0 && zone.valueType(w) != .list && zone.blockSize(w) >= need {
                zone.shrink(w, to: need)
                zone.setValueFields(w, type: type, valueLen: len, expires: expires, flags: flags)
                write(value, at: w)
                zone.touch(w)
                return .stored
            }
            if w != 0 { zone.removeEntry(w) }
            var forcible = false
            var none = 0
            guard let n = zone.allocateEvicting(words: need, evict: !safe, keep: &none, now: now, forcible: &forcible)
            else { return .failed(.noMemory, forcible: forcible) }
            zone.initEntry(n, key: key, hash: h, type: type, valueLen: len, expires: expires, flags: flags)
            write(value, at: n)
            return StoreResult(ok: true, error: nil, forcible: forcible)
        }
    }

    static func shape(_ value: DictValue?) -> (ValueType, Int) {
        switch value {
        case .string(let b): return (.string, b.count)
        case .number: return (.number, 8)
        case .boolean: return (.boolean, 1)
        case nil: return (.string, 0)
        }
    }

    private func write(_ value: DictValue, at w: Int) {
        let p = zone.valuePointer(w)
        switch value {
        case .string(let b): if let s = b.baseAddress { p.copyMemory(from: s, byteCount: b.count) }
        case .number(let d): p.storeBytes(of: d.bitPattern, as: UInt64.self)
        case .boolean(let b): p.storeBytes(of: b ? 1 : 0, as: UInt8.self)
        }
    }

    /// `incr(key, delta, init?, init_ttl?)`: adds `delta` to a number. A missing (or expired) key is
    /// `.notFound` without `initial`, else created as `initial + delta` expiring after `initialTTL` ms (0 never),
    /// evicting as `set` does. An existing key keeps its expiry.
    public func incr(
        _ key: UnsafeRawBufferPointer,
        by delta: Double,
        initial: Double? = nil,
        initialTTL: Int64 = 0,
        now: Int64
    ) -> Result<Incremented, DictError> {
        let h = hashKey(key)
        return zone.locked {
            var w = zone.find(key, h)
            if w != 0 && zone.isExpired(w, now: now) {
                guard initial != nil else { return .failure(.notFound) }
                zone.removeEntry(w)
                w = 0
            }
            if w == 0 {
                guard let initial else { return .failure(.notFound) }
                var forcible = false
                var none = 0
                let need = EntryLayout.words(key: key.count, value: 8)
                guard
                    let n = zone.allocateEvicting(words: need, evict: true, keep: &none, now: now, forcible: &forcible)
                else { return .failure(.noMemory) }
                let expires = initialTTL > 0 ? now &+ initialTTL : 0
                zone.initEntry(n, key: key, hash: h, type: .number, valueLen: 8, expires: expires, flags: 0)
                let v = initial + delta
                write(.number(v), at: n)
                return .success(Incremented(value: v, forcible: forcible))
            }
            guard zone.valueType(w) == .number else { return .failure(.notANumber) }
            let p = zone.valuePointer(w)
            let v = Double(bitPattern: p.loadUnaligned(as: UInt64.self)) + delta
            p.storeBytes(of: v.bitPattern, as: UInt64.self)
            zone.touch(w)
            return .success(Incremented(value: v, forcible: false))
        }
    }
}

/// A growable buffer that values are copied into out of the zone, reused so reads do not allocate.
public final class ValueBuffer {
    public private(set) var bytes: UnsafeMutableRawPointer
    private var capacity: Int

    public init(capacity: Int = 4096) {
        self.capacity = max(capacity, 16)
        bytes = .allocate(byteCount: self.capacity, alignment: 16)
    }

    deinit { bytes.deallocate() }

    func copy(from p: UnsafeRawPointer, count: Int) {
        if count > capacity {
            bytes.deallocate()
            capacity = max(count, capacity * 2)
            bytes = .allocate(byteCount: capacity, alignment: 16)
        }
        bytes.copyMemory(from: p, byteCount: count)
    }
}
