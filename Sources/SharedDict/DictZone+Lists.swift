/// `lpush`, `rpush`, `lpop`, `rpop`, `llen`: list values of strings and numbers.
extension DictZone {
    /// Pushes a string or number at the head (`left`) or tail of the list at `key`, creating it when missing
    /// or expired; returns the new length. Makes room as `set` does (the list itself is never evicted).
    public func push(
        _ key: UnsafeRawBufferPointer,
        _ value: DictValue,
        left: Bool,
        now: Int64
    )
        -> Result<Int, DictError>
    {
        let bytes: UnsafeRawBufferPointer
        var number: UInt64 = 0
        let type: ValueType
        switch value {
        case .string(let b):
            bytes = b
            type = .string
        case .number(let d):
            number = d.bitPattern
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            type = .number
        case .boolean:
            return .failure(.notAList)
        }
        let h = hashKey(key)
        return withUnsafeBytes(of: &number) { numberBytes in
            let data = type == .number ? numberBytes : bytes
            return zone.locked {
                var w = zone.find(key, h)
                if w != 0 && zone.isExpired(w, now: now) {
                    zone.removeEntry(w)
                    w = 0
                }
                if w != 0 && zone.valueType(w) != .list { return .failure(.notAList) }
                var forcible = false
                let nodeWords = ListLayout.nodeWords(data.count)
                if w == 0 {
                    let need = EntryLayout.words(key: key.count, value: 8)
                    var none = 0
                    guard need + nodeWords <= zone.heapWords,
                        let e = zone.allocateEvicting(
                            words: need,
                            evict: true,
                            keep: &none,
                            now: now,
                            forcible: &forcible
                        )
                    else { return .failure(.noMemory) }
                    zone.initEntry(e, key: key, hash: h, type: .list, valueLen: 0, expires: 0, flags: 0)
                    zone.setListHead(e, 0)
                    zone.setListTail(e, 0)
                    w = e
                } else {
                    zone.touch(w)
                }
                guard
                    let n = zone.allocateEvicting(
                        words: nodeWords,
                        evict: true,
                        keep: &w,
                        now: now,
                        forcible: &forcible
                    )
                else {
                    if zone.valueLen(w) == 0 { zone.removeEntry(w) }
                    return .failure(.noMemory)
                }
                zone.linkNode(n, into: w, left: left, type: type, bytes: data)
                return .success(zone.valueLen(w))
            }
        }
    }

    /// Removes and returns the head (`left`) or tail item of the list at `key` (`.missing` when there is no
    /// list); a list left empty is deleted.
    public func pop(
        _ key: UnsafeRawBufferPointer,
        left: Bool,
        now: Int64,
        into buffer: ValueBuffer
    )
        -> Result<DictRead, DictError>
    {
        let h = hashKey(key)
        return zone.locked {
            let w = zone.find(key, h)
            if w == 0 { return .success(.missing) }
            if zone.isExpired(w, now: now) {
                zone.removeEntry(w)
                return .success(.missing)
            }
            guard zone.valueType(w) == .list else { return .failure(.notAList) }
            guard zone.valueLen(w) > 0 else { return .success(.missing) }
            let n = zone.unlinkNode(from: w, left: left)
            let result: DictRead
            if zone.nodeType(n) == .number {
                result = .number(Double(bitPattern: zone.nodeData(n).loadUnaligned(as: UInt64.self)))
            } else {
                buffer.copy(from: zone.nodeData(n), count: zone.nodeLen(n))
                result = .string(zone.nodeLen(n))
            }
            zone.release(n)
            if zone.valueLen(w) == 0 { zone.removeEntry(w) } else { zone.touch(w) }
            return .success(result)
        }
    }

    /// The length of the list at `key`; 0 when missing or expired.
    public func llen(_ key: UnsafeRawBufferPointer, now: Int64) -> Result<Int, DictError> {
        let h = hashKey(key)
        return zone.locked {
            let w = zone.find(key, h)
            if w == 0 || zone.isExpired(w, now: now) { return .success(0) }
            guard zone.valueType(w) == .list else { return .failure(.notAList) }
            return .success(zone.valueLen(w))
        }
    }
}
