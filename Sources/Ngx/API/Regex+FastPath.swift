import CShim
import Glibc

/// `ngx.re.match`'s FFI entry points (the road `FastPath` takes for receive and print): the Lua layer in
/// `Prelude.swift` looks a regex up once per (options, pattern) with `reCompile`, keeps what it returns in a
/// Lua table, and then matches with `reExec` through `ffi.cast` function pointers, so a loop of
/// `ngx.re.match(s, p, "jo")` stays in its LuaJIT trace; it builds the captures table itself from the offsets
/// left in `reOffsets`. Neither touches a Lua state, raises or yields; when they decline, the Lua layer takes
/// the classic path (`exec`), which gives every error and every other behaviour.
extension FastPath {
    /// Offset pairs (0-based start, end; -1 for a group that did not take part) of the last match; the first
    /// two entries are also where `reCompile` leaves the pair count and the match mode.
    static let reOffsetPairs = 64
    nonisolated(unsafe) static let reOffsets: UnsafeMutablePointer<Int32> = {
        let p = UnsafeMutablePointer<Int32>.allocate(capacity: 2 * reOffsetPairs)
        p.initialize(repeating: -1, count: 2 * reOffsetPairs)
        return p
    }()

    /// `compile(pattern, plen, opts, olen)`: the PCRE2 code of a regex the FFI road can match, compiled (or
    /// found) in the `o` cache, which holds it for the life of the process; `reOffsets[0]` is then its pair
    /// count (groups + 1) and `reOffsets[1]` the `reExec` mode. NULL for the classic path: options without
    /// `o`, with `d`, or unknown; a pattern that does not compile; named groups; more groups than
    /// `reOffsetPairs`; a full cache (the regex is not kept).
    static let reCompile:
        @convention(c) (UnsafePointer<CChar>?, Int32, UnsafePointer<CChar>?, Int32) -> UnsafeMutableRawPointer? = {
            pattern,
            plen,
            opts,
            olen in
            guard let pattern, let opts, plen >= 0, olen >= 0 else { return nil }
            let p = UnsafeRawBufferPointer(start: pattern, count: Int(plen))
            let optBytes = UnsafeRawBufferPointer(start: opts, count: Int(olen))
            let text = String(decoding: optBytes, as: UTF8.self)
            let (o, bad) = NgxAPI.regexOptions(text)
            guard bad == nil, o.once, !o.dfa else { return nil }
            guard case .success(let re) = NgxAPI.compiledRegex(p, text, o) else { return nil }
            let key = text + "\u{0}" + String(decoding: p, as: UTF8.self)
            guard NgxAPI.regexCache[key] === re, re.names.isEmpty, re.captures + 1 <= reOffsetPairs else { return nil }
            reOffsets[0] = Int32(re.captures + 1)
            reOffsets[1] = o.noUTFCheck ? 2 : 0
            return re.code
        }

    /// `exec(code, pairs, mode, subject, slen, start)` with what `reCompile` gave: `pairs` offset pairs in
    /// `reOffsets` and `pairs` on a match, 0 for none, -1 for the classic path (a start past the subject's
    /// end, a match error such as the match limit: the classic path reports it).
    static let reExec:
        @convention(c) (UnsafeMutableRawPointer?, Int32, Int32, UnsafePointer<CChar>?, Int32, Int32) -> Int32 = {
            code,
            pairs,
            mode,
            subject,
            slen,
            start in
            guard let code, let subject, slen >= 0, start >= 0, start <= slen else { return -1 }
            let rc = tl_re_exec32(code, subject, Int(slen), Int(start), reOffsets, pairs, mode)
            if rc == 0 { return 0 }
            if rc < 0 { return -1 }
            return pairs
        }
}
