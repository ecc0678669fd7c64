import CShim
import SharedDict

/// The FFI half of `dict:get`, `dict:set` and `dict:incr` for the common case (a string key of 1 to 65535
/// bytes, a string/number/boolean value, numeric options): plain C functions the prelude calls, filling one
/// reused `tl_dict_result`. They never touch a Lua state; -1 sends the Lua layer to the classic method, which
/// raises or answers exactly as OpenResty does for everything else.
extension FastPath {
    /// `get`: 0 missing, 1 string (`bytes`/`len`, copied out of the zone), 2 number, 3 false, 4 true (each
    /// with `flags`); -1 for a list (the classic method answers `nil, "value is a list"`).
    static let dictGet:
        @convention(c) (UnsafeMutableRawPointer?, UnsafeRawPointer?, Int32, UnsafeMutablePointer<tl_dict_result>?)
            -> Int32 = { zone, key, keyLen, out in
                guard let zone, let key, let out else { return -1 }
                let dict = DictZone(attachingTo: zone)
                let buffer = NgxAPI.dictBuffer
                let item = dict.get(
                    UnsafeRawBufferPointer(start: key, count: Int(keyLen)),
                    now: NgxAPI.dictNow,
                    into: buffer
                )
                out.pointee.flags = item.flags
                switch item.value {
                case .missing: return 0
                case .string(let n):
                    out.pointee.bytes = UnsafeRawPointer(buffer.bytes)
                    out.pointee.len = Int32(clamping: n)
                    return n <= Int(Int32.max) ? 1 : -1
                case .number(let d):
                    out.pointee.number = d
                    return 2
                case .boolean(let b): return b ? 4 : 3
                case .list: return -1
                }
            }

    /// `set` (`mode` 0), `add` (1), `replace` (2), `delete` (kind 0): kind 1 string (`bytes`, `len`), 2 number,
    /// 3 boolean (`number` 0 or 1); `exptime` in seconds, `flags` a number. 1 stored, 0 failed (`error`:
    /// 1 exists … 5 value not a list), both with `forcible`; -1 for what the classic method must judge (a
    /// negative exptime, non-finite flags).
    static let dictSet:
        @convention(c) (
            UnsafeMutableRawPointer?, UnsafeRawPointer?, Int32, Int32, UnsafeRawPointer?, Int32, Double, Double, Double,
            Int32, UnsafeMutablePointer<tl_dict_result>?
        ) -> Int32 = { zone, key, keyLen, kind, bytes, len, number, exptime, flags, mode, out in
            guard let zone, let key, let out, exptime >= 0, flags.isFinite else { return -1 }
            let value: DictValue?
            switch kind {
            case 0:
                guard mode == 0 else { return -1 }  // add/replace of nil: the classic method refuses it
                value = nil
            case 1: value = .string(UnsafeRawBufferPointer(start: bytes, count: Int(len)))
            case 2: value = .number(number)
            case 3: value = .boolean(number != 0)
            default: return -1
            }
            let storeMode: StoreMode
            switch mode {
            case 0: storeMode = .set
            case 1: storeMode = .add
            case 2: storeMode = .replace
            default: return -1
            }
            // (the conversions only for what is not the default 0: most stores pass neither)
            let result = DictZone(attachingTo: zone).store(
                UnsafeRawBufferPointer(start: key, count: Int(keyLen)),
                value,
                exptime: exptime == 0 ? 0 : Int64(min(exptime * 1000, 1e15)),
                flags: flags == 0 ? 0 : UInt32(truncatingIfNeeded: Int64(max(min(flags, 9e18), -9e18))),
                mode: storeMode,
                now: NgxAPI.dictNow
            )
            out.pointee.forcible = result.forcible ? 1 : 0
            out.pointee.error = result.error.map(errorCode) ?? 0
            return result.ok ? 1 : 0
        }

    /// `incr` (`hasInit` 0 or 1): 1 with the new value in `number` (and `forcible`), 0 failed (`error`).
    static let dictIncr:
        @convention(c) (
            UnsafeMutableRawPointer?, UnsafeRawPointer?, Int32, Double, Int32, Double,
            UnsafeMutablePointer<tl_dict_result>?
        ) -> Int32 = { zone, key, keyLen, delta, hasInit, initial, out in
            guard let zone, let key, let out else { return -1 }
            let r = DictZone(attachingTo: zone).incr(
                UnsafeRawBufferPointer(start: key, count: Int(keyLen)),
                by: delta,
                initial: hasInit != 0 ? initial : nil,
                now: NgxAPI.dictNow
            )
            switch r {
            case .success(let v):
                out.pointee.number = v.value
                out.pointee.forcible = v.forcible ? 1 : 0
                return 1
            case .failure(let e):
                out.pointee.error = errorCode(e)
                return 0
            }
        }

    /// `ttl`: 1 with the seconds left in `number` (0: never expires), 0 failed (`error`).
    static let dictTTL:
        @convention(c) (UnsafeMutableRawPointer?, UnsafeRawPointer?, Int32, UnsafeMutablePointer<tl_dict_result>?)
            -> Int32 = { zone, key, keyLen, out in
                guard let zone, let key, let out else { return -1 }
                switch DictZone(attachingTo: zone).ttl(
                    UnsafeRawBufferPointer(start: key, count: Int(keyLen)),
                    now: NgxAPI.dictNow
                ) {
                case .success(let ms):
                    out.pointee.number = Double(ms) / 1000
                    return 1
                case .failure(let e):
                    out.pointee.error = errorCode(e)
                    return 0
                }
            }

    /// The position of `e`'s string in the prelude's table of error strings.
    static func errorCode(_ e: DictError) -> Int32 {
        switch e {
        case .exists: return 1
        case .notFound: return 2
        case .noMemory: return 3
        case .notANumber: return 4
        case .notAList: return 5
        }
    }
}
