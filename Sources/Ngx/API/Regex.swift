import CLuaJIT
import CShim
import LuaKit

/// `ngx.re` on PCRE2 (Debian's libpcre2-8), for the patterns the Lua client libraries use:
///
/// ```
/// captures, err = ngx.re.match(subject, regex, options?, ctx?, res?)   -- [0] the match, [n] groups
/// from, to, err = ngx.re.find(subject, regex, options?, ctx?)          -- (false for an unset group,
/// iter, err = ngx.re.gmatch(subject, regex, options?)                  --  names for named groups)
/// newstr, n, err = ngx.re.sub(subject, regex, replace, options?)       -- replace: "$0 $1 ${name} $$" or
/// newstr, n, err = ngx.re.gsub(subject, regex, replace, options?)      --  a function(captures)
/// ```
/// Options: `i m s x u U a D` as OpenResty (`j` compiles with PCRE2's JIT; `o` and `J` are accepted: every
/// compiled regex is cached, up to 1024 of them). `ctx.pos` (1-based) is where matching starts and is moved
/// past the match. Any phase; never yields. A bad regex returns `nil, err`; bad argument types raise.
/// The Swift half is one primitive (`exec`); the functions above are Lua over it (`regexLua`), so a
/// replacement function is called by Lua, never from Swift.
extension NgxAPI {
    static func injectRegex(_ lua: Lua) {
        guard lua.load(regexLua, chunkName: "=ngx.re") else { fatalError("ngx.re: \(lua.string(-1) ?? "?")") }
        lua.pushValue(at: -2)
        lua.push(reExec)
        if let message = lua.pcallTraceback(nargs: 2, nresults: 0) { fatalError("ngx.re: \(message)") }
    }

    static let regexLua = """
        local ngx, exec = ...
        local sub, find, byte, concat, type, tostring = string.sub, string.find, string.byte, table.concat, type, tostring
        local re = {}
        ngx.re = re
        function re.match(subj, regex, opts, ctx, res)
          local from, to, caps = exec(subj, regex, opts, ctx and ctx.pos or 1, true, res)
          if not from then return nil, to end
          if ctx then ctx.pos = to + 1 end
          return caps
        end
        function re.find(subj, regex, opts, ctx)
          local from, to = exec(subj, regex, opts, ctx and ctx.pos or 1, false)
          if not from then return nil, nil, to end
          if ctx then ctx.pos = to + 1 end
          return from, to
        end
        function re.gmatch(subj, regex, opts)
          local pos, len, done = 1, #tostring(subj), false
          return function()
            if done then return nil end
            local from, to, caps = exec(subj, regex, opts, pos, true)
            if not from then done = true return nil, to end
            pos = to + 1
            if to < from then  -- an empty match: the next try starts one further
              if from > len then done = true end
              pos = from + 1
            end
            return caps
          end
        end
        -- A replacement template: $0, $1 .. $99, ${name}, $$.
        local function expand(tpl, caps)
          if not find(tpl, "$", 1, true) then return tpl end
          local out, i, n = {}, 1, #tpl
          while i <= n do
            local j = find(tpl, "$", i, true)
            if not j then out[#out + 1] = sub(tpl, i) break end
            out[#out + 1] = sub(tpl, i, j - 1)
            local c = sub(tpl, j + 1, j + 1)
            if c == "$" then
              out[#out + 1] = "$"
              i = j + 2
            elseif c == "{" then
              local k = find(tpl, "}", j + 2, true)
              if not k then error("the closing bracket in \\"" .. tpl .. "\\" variable is missing", 0) end
              local name = sub(tpl, j + 2, k - 1)
              local v = caps[tonumber(name) or name]
              out[#out + 1] = v or ""
              i = k + 1
            else
              local d = tpl:match("^%d%d?", j + 1)
              if not d then error("invalid capturing variable name found in \\"" .. tpl .. "\\"", 0) end
              out[#out + 1] = caps[tonumber(d)] or ""
              i = j + 1 + #d
            end
          end
          return concat(out)
        end
        local function replace(subj, regex, repl, opts, global)
          subj = tostring(subj)
          local rtype = type(repl)
          if rtype ~= "string" and rtype ~= "function" and rtype ~= "number" then
            error("bad argument #3 to '" .. (global and "gsub" or "sub") .. "' (string or function expected)", 3)
          end
          if rtype == "number" then repl = tostring(repl) end
          local out, pos, last, n, len = {}, 1, 1, 0, #subj
          while pos <= len + 1 do
            local from, to, caps = exec(subj, regex, opts, pos, true)
            if not from then
              if to then return nil, nil, to end
              break
            end
            out[#out + 1] = sub(subj, last, from - 1)
            if rtype == "function" then
              local r = repl(caps)
              out[#out + 1] = r ~= nil and tostring(r) or ""
            else
              out[#out + 1] = expand(repl, caps)
            end
            n = n + 1
            last = to + 1
            if to < from then  -- an empty match keeps the next byte and moves on
              if from <= len then out[#out + 1] = sub(subj, from, from) end
              last = from + 1
              pos = from + 1
            else
              pos = to + 1
            end
            if not global then break end
          end
          out[#out + 1] = sub(subj, last)
          return concat(out), n
        end
        function re.sub(subj, regex, repl, opts) return replace(subj, regex, repl, opts, false) end
        function re.gsub(subj, regex, repl, opts) return replace(subj, regex, repl, opts, true) end
        """

    /// A compiled regex with its capture count and group names.
    final class CompiledRegex {
        let code: UnsafeMutableRawPointer
        let captures: Int
        let names: [(Int32, String)]
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

    /// Compiled regexes by options and pattern (bounded: cleared past 1024).
    nonisolated(unsafe) static var regexCache: [String: CompiledRegex] = [:]

    /// Options text → PCRE2 flags and JIT, or the bad flag.
    static func regexFlags(_ opts: String) -> (UInt32, Bool, Character?) {
        var flags: UInt32 = 0
        var jit = false
        for c in opts {
            switch c {
            case "i": flags |= 1
            case "m": flags |= 2
            case "s": flags |= 4
            case "x": flags |= 8
            case "u": flags |= 16
            case "U": flags |= 32
            case "a": flags |= 64
            case "D": flags |= 128
            case "j": jit = true
            case "o", "J": break
            default: return (0, false, c)
            }
        }
        return (flags, jit, nil)
    }

    /// `exec(subject, regex, options, pos, wantCaptures, res?)` → `from, to, captures?` (1-based, inclusive),
    /// `nil` when nothing matches, `nil, err` when the regex is bad.
    static let reExec: LuaFunction = { L in
        let lua = Lua(L!)
        guard lua.type(at: 1) == .string || lua.type(at: 1) == .number, let subject = lua.bytes(1) else {
            return lua.error(NgxStrings.badStringArg(1, "match"))
        }
        guard lua.type(at: 2) == .string, let pattern = lua.bytes(2) else {
            return lua.error(NgxStrings.badStringArg(2, "match"))
        }
        let opts = lua.isNoneOrNil(3) ? "" : (lua.string(3) ?? "")
        let (flags, jit, bad) = regexFlags(opts)
        if let bad { return lua.error("unknown flag \"\(bad)\" (flags \"\(opts)\")") }
        let pos = Int(lua.toNumber(4) ?? 1)
        let wantCaps = lua.toBool(5)
        let key = opts + "\u{0}" + String(decoding: pattern, as: UTF8.self)
        let re: CompiledRegex
        if let hit = regexCache[key] {
            re = hit
        } else {
            var err = [CChar](repeating: 0, count: 512)
            guard
                let code = pattern.withMemoryRebound(to: CChar.self, { p in
                    tl_re_compile(p.baseAddress, p.count, flags, jit ? 1 : 0, &err, 512)
                })
            else {
                lua.pushNil()
                lua.push(cString(err))
                return 2
            }
            if regexCache.count >= 1024 {
                for (_, r) in regexCache { tl_re_free(r.code) }
                regexCache.removeAll()
            }
            re = CompiledRegex(code: code)
            regexCache[key] = re
        }
        guard pos >= 1, pos - 1 <= subject.count else { return 0 }
        let pairs = re.captures + 1
        var ov = [Int](repeating: -1, count: 2 * pairs)
        let rc = ov.withUnsafeMutableBufferPointer { o in
            subject.withMemoryRebound(to: CChar.self) { s in
                tl_re_exec(re.code, s.baseAddress, s.count, pos - 1, o.baseAddress, Int32(pairs))
            }
        }
        if rc == 0 { return 0 }
        if rc < 0 {
            var msg = [CChar](repeating: 0, count: 256)
            _ = tl_re_error(rc, &msg, 256)
            lua.pushNil()
            lua.push("pcre2_match() failed: " + cString(msg))
            return 2
        }
        lua.push(ov[0] + 1)
        lua.push(ov[1])
        guard wantCaps else { return 2 }
        if lua.type(at: 6) == .table {
            lua.pushValue(at: 6)
        } else {
            lua.newTable(narr: Int32(re.captures), nrec: Int32(re.names.count + 1))
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
        for (n, name) in re.names {
            lua.rawGetI(t, n)
            lua.setField(t, name)
        }
        return 3
    }
}
