import CShim
import Glibc

/// `ngx.re.match`'s FFI entry point (the road `FastPath` takes for receive and print): the Lua layer in
/// `Prelude.swift` calls it through an `ffi.cast` function pointer, so a loop of `ngx.re.match(s, p, "jo")`
/// stays in its LuaJIT trace, and builds the captures table itself from the offsets left in `reOffsets`.
/// It never touches a Lua state, raises or yields; when it declines, the Lua layer takes the classic path
/// (`exec`), which gives every error and every other behaviour.
extension FastPath {
    /// Offset pairs (0-based start, end; -1 for a group that did not take part) of the last match.
    static let reOffsetPairs = 64
    nonisolated(unsafe) static let reOffsets: UnsafeMutablePointer<Int32> = {
        let p = UnsafeMutablePointer<Int32>.allocate(capacity: 2 * reOffsetPairs)
        p.initialize(repeating: -1, count: 2 * reOffsetPairs)
        return p
    }()

    /// `match(pattern, plen, opts, olen, subject, slen, start)`: the number of offset pairs written to
    /// `reOffsets` (groups + 1) on a match, 0 for no match, -1 to take the classic path: options without
    /// `o`, with `d`, or unknown; a pattern that does not compile; named groups; more groups than
    /// `reOffsetPairs`; a subject past 2 GiB or a start past its end; a match error (the match limit).
    static let reMatch:
        @convention(c) (
            UnsafePointer<CChar>?, Int32, UnsafePointer<CChar>?, Int32, UnsafePointer<CChar>?, Int32, Int32
        ) -> Int32 = { pattern, plen, opts, olen, subject, slen, start in
            guard let pattern, let opts, let subject, plen >= 0, olen >= 0, slen >= 0 else { return -1 }
            guard start >= 0, start <= slen else { return -1 }
            let p = UnsafeRawBufferPointer(start: pattern, count: Int(plen))
            let o = UnsafeRawBufferPointer(start: opts, count: Int(olen))
            guard let (options, re) = NgxAPI.onceRegex(p, o) else { return -1 }
            let pairs = re.captures + 1
            guard !options.dfa, re.names.isEmpty, pairs <= reOffsetPairs else { return -1 }
            if 2 * pairs > NgxAPI.ovectorCapacity {
                NgxAPI.ovector.deallocate()
                NgxAPI.ovectorCapacity = 2 * pairs
                NgxAPI.ovector = .allocate(capacity: NgxAPI.ovectorCapacity)
            }
            let vector = NgxAPI.ovector
            let rc = tl_re_exec(
                re.code,
                subject,
                Int(slen),
                Int(start),
                vector,
                Int32(pairs),
                options.noUTFCheck ? 2 : 0
            )
            if rc == 0 { return 0 }
            if rc < 0 { return -1 }
            let out = reOffsets
            for i in 0..<(2 * pairs) {
                out[i] = Int32(truncatingIfNeeded: vector[i])  // PCRE2_UNSET (all ones) is -1
            }
            return Int32(pairs)
        }
}

extension NgxAPI {
    /// The options and compiled regex of a call with the `o` option, from the hot regex or the cache
    /// (compiling it on a miss); nil when the options are not `o`-cached or are bad, or the pattern fails to
    /// compile (the classic path then reports it). Touches no Lua state.
    static func onceRegex(
        _ pattern: UnsafeRawBufferPointer,
        _ optBytes: UnsafeRawBufferPointer
    ) -> (RegexOptions, CompiledRegex)? {
        if let h = hot, h.pattern.count == pattern.count, h.opts.count == optBytes.count,
            h.pattern.withUnsafeBytes({ same($0, pattern) }), h.opts.withUnsafeBytes({ same($0, optBytes) })
        {
            return h.o.once ? (h.o, h.re) : nil
        }
        let opts = String(decoding: optBytes, as: UTF8.self)
        let (o, bad) = regexOptions(opts)
        guard bad == nil, o.once else { return nil }
        guard case .success(let re) = compiledRegex(pattern, opts, o) else { return nil }
        hot = (Array(pattern), Array(optBytes), o, re)
        return (o, re)
    }
}
