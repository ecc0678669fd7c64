import CLuaJIT
import CShim
import Glibc
import LuaKit

/// `ngx.re` on PCRE2 (Debian's libpcre2-8), as OpenResty has it:
///
/// ```
/// captures, err = ngx.re.match(subject, regex, options?, ctx?, res?)   -- [0] the match, [n] groups
/// from, to, err = ngx.re.find(subject, regex, options?, ctx?, nth?)    -- (false for an unset group,
/// iter, err = ngx.re.gmatch(subject, regex, options?)                  --  names for named groups)
/// newstr, n, err = ngx.re.sub(subject, regex, replace, options?)       -- replace: "$0 $1 ${1} $$"
/// newstr, n, err = ngx.re.gsub(subject, regex, replace, options?)      --  or a function(captures)
/// ```
/// Options: `a` anchored, `d` DFA (the longest match, no groups), `D` duplicate names (a named capture is then
/// an array of what each group of that name matched), `i` caseless, `j` PCRE2's JIT, `J` JavaScript
/// compatibility, `m` multi-line, `o` compile once (kept in the worker's cache of at most
/// `lua_regex_cache_max_entries`: past it, one `[warn]` and no caching, as OpenResty), `s` dot-all, `u` UTF-8,
/// `U` UTF-8 without checking the subject, `x` extended. `ctx.pos` (1-based) is where matching starts and is
/// moved past the match. `lua_regex_match_limit` bounds backtracking (`nil, "pcre_exec() failed: -47"`). Any
/// phase; never yields. A bad regex returns `nil, err` with PCRE2's message; an unknown option raises.
/// The Swift half is one primitive (`exec`); the functions above are Lua over it (`Regex+Lua.swift`), so a
/// replacement function is called by Lua, never from Swift. `match` with `o` also has an FFI road that stays in
/// LuaJIT traces (`Regex+FastPath.swift`), falling back to `exec` for everything it does not handle.
extension NgxAPI {
    /// `lua_regex_cache_max_entries` (set by the master before it runs Lua).
    public nonisolated(unsafe) static var regexCacheMaxEntries = 1024
    /// `lua_regex_match_limit` (0: PCRE2's default).
    public nonisolated(unsafe) static var regexMatchLimit = 0 {
        didSet { tl_re_set_match_limit(UInt32(clamping: regexMatchLimit)) }
    }
}

extension NgxAPI {
    static func injectRegex(_ lua: Lua) {
        guard lua.load(regexLua, chunkName: "=ngx.re") else { fatalError("ngx.re: \(lua.string(-1) ?? "?")") }
        lua.pushValue(at: -2)
        lua.push(reExec)
        if let message = lua.pcallTraceback(nargs: 2, nresults: 1) { fatalError("ngx.re: \(message)") }
        BuiltinModules.preload(lua, name: "ngx.re")  // the module table lua-resty-core's `require "ngx.re"` gives
    }

    /// A compiled regex with its capture count and group names.
    final class CompiledRegex {
        let code: UnsafeMutableRawPointer
        let captures: Int
        let names: [(Int32, String)]
        deinit { tl_re_free(code) }
        init(code: UnsafeMutableRawPointer) {
            self.code = code
            captures = Int(tl_re_captures(code))
            var table: UnsafePointer<UInt8>?
            var entry: Int32 = 0
            let count = tl_re_names(code, &table, &entry)
            var names: [(Int32, String)] = []
            if let t = table {
                for i in 0..<Int(count) {
                    let e = t + i * Int(entry)
                    names.append((Int32(e[0]) << 8 | Int32(e[1]), String(cString: e + 2)))
                }
            }
            self.names = names
        }
    }

    /// The text of a NUL-terminated C buffer.
    static func cString(_ a: [CChar]) -> String {
        let bytes = a.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Regexes compiled with `o`, by options and pattern (at most `regexCacheMaxEntries`).
    nonisolated(unsafe) static var regexCache: [String: CompiledRegex] = [:]
    /// The cache was full once (OpenResty warns once).
    nonisolated(unsafe) static var regexCacheWarned = false
    /// The last regex compiled without `o`, kept until another one is needed (gsub and gmatch call `exec`
    /// once per match; nothing a script can observe).
    nonisolated(unsafe) static var lastRegex: (key: String, re: CompiledRegex)?

    /// Parsed options: PCRE2 compile flags for the C side, and what changes matching.
    struct RegexOptions {
        var flags: UInt32 = 0
        var jit = false
        var once = false
        var dfa = false
        var noUTFCheck = false
        var dupNames = false
    }

    /// Options text → options, or the first unknown option letter.
    static func regexOptions(_ opts: String) -> (RegexOptions, Character?) {
        var o = RegexOptions()
        for c in opts {
            switch c {
            case "i": o.flags |= 1
            case "m": o.flags |= 2
            case "s": o.flags |= 4
            case "x": o.flags |= 8
            case "u": o.flags |= 16
            case "U":
                o.flags |= 16
                o.noUTFCheck = true
            case "a": o.flags |= 64
            case "D":
                o.flags |= 128
                o.dupNames = true
            case "J": o.flags |= 256
            case "j": o.jit = true
            case "o": o.once = true
            case "d": o.dfa = true
            default: return (o, c)
            }
        }
        return (o, nil)
    }

    /// The compiled regex for `pattern` with options `o`, from the cache when `o.once`; or PCRE2's message.
    static func compiledRegex(
        _ pattern: UnsafeRawBufferPointer,
        _ opts: String,
        _ o: RegexOptions
    ) -> Result<
        CompiledRegex, RegexError
    > {
        let key = opts + "\u{0}" + String(decoding: pattern, as: UTF8.self)
        if o.once, let hit = regexCache[key] { return .success(hit) }
        if let last = lastRegex, last.key == key { return .success(last.re) }
        var err = [CChar](repeating: 0, count: 512)
        let code = pattern.withMemoryRebound(to: CChar.self) { p in
            tl_re_compile(p.baseAddress, p.count, o.flags, o.jit ? 1 : 0, &err, 512)
        }
        guard let code else { return .failure(RegexError(message: cString(err))) }
        let re = CompiledRegex(code: code)
        if o.once && regexCache.count < regexCacheMaxEntries {
            regexCache[key] = re
        } else {
            if o.once && !regexCacheWarned {
                regexCacheWarned = true
                let line = NgxStrings.regexCacheFull(regexCacheMaxEntries)
                if let s = currentSession { s.log(.warn, line) } else { NgxRuntime.shared?.log.log(.warn, line) }
            }
            lastRegex = (key, re)  // the one it replaces is freed when nothing holds it
        }
        return .success(re)
    }

    struct RegexError: Error {
        let message: String
        /// Raised (a bad option) rather than returned.
        var raise = false
    }

    /// The regex of the last call, by its pattern and options bytes: a loop matching one regex finds it
    /// with two comparisons, no allocation (it holds the compiled regex alive).
    nonisolated(unsafe) static var hot: (pattern: [UInt8], opts: [UInt8], o: RegexOptions, re: CompiledRegex)?
    /// Offset pairs of the last match (grown as needed).
    nonisolated(unsafe) static var ovector = UnsafeMutablePointer<Int>.allocate(capacity: 64)
    nonisolated(unsafe) static var ovectorCapacity = 64

    /// The options and compiled regex for the call's pattern and options, or what to return (an error pushed).
    @inline(__always)
    static func regexFor(
        _ lua: Lua,
        _ pattern: UnsafeRawBufferPointer
    ) -> Result<
        (RegexOptions, CompiledRegex), RegexError
    > {
        let optBytes =
            lua.isNoneOrNil(3)
            ? UnsafeRawBufferPointer(start: nil, count: 0) : (lua.bytes(3) ?? .init(start: nil, count: 0))
        if let h = hot, h.pattern.count == pattern.count, h.opts.count == optBytes.count,
            h.pattern.withUnsafeBytes({ same($0, pattern) }), h.opts.withUnsafeBytes({ same($0, optBytes) })
        {
            return .success((h.o, h.re))
        }
        let opts = String(decoding: optBytes, as: UTF8.self)
        let (o, bad) = regexOptions(opts)
        if let bad { return .failure(RegexError(message: NgxStrings.regexUnknownFlag(bad, opts), raise: true)) }
        switch compiledRegex(pattern, opts, o) {
        case .success(let re):
            hot = (Array(pattern), Array(optBytes), o, re)
            return .success((o, re))
        case .failure(let e): return .failure(e)
        }
    }

    @inline(__always) static func same(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
        a.count == 0 || memcmp(a.baseAddress!, b.baseAddress!, a.count) == 0
    }

    /// `exec(subject, regex, options, pos, mode, res?, nth?)`: see `regexLua`. Offsets are 1-based, inclusive.
    static let reExec: LuaFunction = { L in
        let lua = Lua(L!)
        let mode = Int(lua.toNumber(5) ?? 1)
        let fn = mode == 2 ? "find" : mode == 1 ? "match" : "gsub"
        guard lua.type(at: 1) == .string || lua.type(at: 1) == .number, let subject = lua.bytes(1) else {
            return lua.error(NgxStrings.badStringArg(1, fn))
        }
        guard lua.type(at: 2) == .string || lua.type(at: 2) == .number, let pattern = lua.bytes(2) else {
            return lua.error(NgxStrings.badStringArg(2, fn))
        }
        let o: RegexOptions
        let re: CompiledRegex
        switch regexFor(lua, pattern) {
        case .success(let r): (o, re) = r
        case .failure(let e):
            if e.raise { return lua.error(e.message) }
            lua.pushNil()
            lua.push(e.message)
            return 2
        }
        if mode == 0 {
            lua.push(true)
            return 1
        }
        let pos = max(Int(lua.toNumber(4) ?? 1), 1)
        guard pos - 1 <= subject.count else {  // PCRE2 refuses such a start offset, and lua-resty-core says so
            lua.pushNil()
            lua.push(NgxStrings.regexExecFailed(NgxStrings.regexBadOffset))
            return 2
        }
        let groups = o.dfa ? 0 : re.captures
        let pairs = groups + 1
        if 2 * pairs > ovectorCapacity {
            ovector.deallocate()
            ovectorCapacity = 2 * pairs
            ovector = .allocate(capacity: ovectorCapacity)
        }
        let ov = ovector
        let rc = subject.withMemoryRebound(to: CChar.self) { s in
            tl_re_exec(
                re.code,
                s.baseAddress,
                s.count,
                pos - 1,
                ov,
                Int32(pairs),
                (o.dfa ? 1 : 0) | (o.noUTFCheck ? 2 : 0)
            )
        }
        if rc == 0 { return 0 }
        if rc < 0 {
            lua.pushNil()
            lua.push(NgxStrings.regexExecFailed(Int(rc)))
            return 2
        }
        if mode == 2 {
            let nth = max(Int(lua.toNumber(7) ?? 0), 0)
            if nth > groups {
                lua.pushNil()
                lua.push(NgxStrings.regexNthOutOfBound)
                return 2
            }
            let a = ov[2 * nth]
            let b = ov[2 * nth + 1]
            if a >= 0 && b >= a {
                lua.push(a + 1)
                lua.push(b)
            } else {
                lua.push(false)
                lua.push(false)
            }
            lua.push(ov[1])
            return 3
        }
        lua.push(ov[0] + 1)
        lua.push(ov[1])
        if lua.type(at: 6) == .table {  // a reused table: emptying it is the caller's duty, as in ngx_lua
            lua.pushValue(at: 6)
        } else {
            lua.newTable(narr: Int32(groups), nrec: Int32(re.names.count + 1))
        }
        let t = lua.top
        for i in 0..<pairs {
            let a = ov[2 * i]
            let b = ov[2 * i + 1]
            if a >= 0 && b >= a {
                lua.push(bytes: subject.baseAddress.map { $0 + a }, count: b - a)
            } else {
                lua.push(false)
            }
            lua.rawSetI(t, Int32(i))
        }
        if !o.dfa {
            for (n, name) in re.names {
                lua.rawGetI(t, n)
                if o.dupNames {
                    if !lua.toBool(-1) {  // a group that did not take part adds nothing to its name's array
                        lua.pop()
                        continue
                    }
                    lua.getField(t, name)
                    if lua.type(at: -1) == .table {
                        lua.insert(at: -2)
                        lua.rawSetI(-2, Int32(lua.objlen(-2) + 1))
                        lua.pop()
                    } else {
                        lua.pop()
                        lua.newTable(narr: 2, nrec: 0)
                        lua.insert(at: -2)
                        lua.rawSetI(-2, 1)
                        lua.setField(t, name)
                    }
                } else {
                    lua.setField(t, name)  // false for a group that did not take part
                }
            }
        }
        return 3
    }
}
