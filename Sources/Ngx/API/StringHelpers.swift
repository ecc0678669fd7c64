import CLuaJIT
import LuaKit

/// The string helpers the Lua client libraries use, with OpenResty's results:
///
/// ```
/// s = ngx.escape_uri(str, type?)    s = ngx.unescape_uri(str)      (type 2, the default: a URI component)
/// s = ngx.encode_base64(str, no_padding?)     s = ngx.decode_base64(str)   (nil for invalid input)
/// n = ngx.crc32_short(str)          n = ngx.crc32_long(str)
/// ngx.config.ngx_lua_version (10025), .nginx_version (1022001), .debug (false), .subsystem ("stream");
/// `prefix()` and `nginx_configure()` are in `Args.swift`
/// ```
/// Any phase; never yield. `table.new` and `table.clear` are LuaJIT's own (`require "table.new"`), also set
/// as fields of `table`.
extension NgxAPI {
    static func injectStringHelpers(_ lua: Lua) {
        let fns: [(String, LuaFunction)] = [
            ("escape_uri", escapeURI), ("unescape_uri", unescapeURI), ("encode_base64", encodeBase64),
            ("decode_base64", decodeBase64), ("crc32_short", crc32), ("crc32_long", crc32),
        ]
        for (name, f) in fns {
            lua.push(f)
            lua.setField(-2, name)
        }
        lua.newTable(nrec: 6)
        lua.push(10025)
        lua.setField(-2, "ngx_lua_version")
        lua.push(NgxStrings.nginxVersionNumber)
        lua.setField(-2, "nginx_version")
        lua.push(false)
        lua.setField(-2, "debug")
        lua.push("stream")
        lua.setField(-2, "subsystem")
        lua.setField(-2, "config")
        guard lua.load(tableExtras, chunkName: "=table") else { return }
        _ = lua.pcallTraceback(nargs: 0, nresults: 0)
    }

    /// `table.new`/`table.clear` from LuaJIT's modules, as fields of `table` too.
    static let tableExtras = """
        local ok, new = pcall(require, "table.new")
        if ok then table.new = table.new or new end
        local ok2, clear = pcall(require, "table.clear")
        if ok2 then table.clear = table.clear or clear end
        """

    static func withString(_ lua: Lua, _ fn: String, _ body: (UnsafeRawBufferPointer) -> Int32) -> Int32 {
        guard lua.top >= 1 else { return lua.error("expecting one argument") }
        if lua.isNoneOrNil(1) {
            lua.push(static: "")
            return 1
        }
        guard lua.type(at: 1) == .string || lua.type(at: 1) == .number, let b = lua.bytes(1) else {
            return lua.error(NgxStrings.badStringArg(1, fn))
        }
        return body(b)
    }

    static func pushBytes(_ lua: Lua, _ out: [UInt8]) -> Int32 {
        out.withUnsafeBytes { lua.push(bytes: $0.baseAddress, count: $0.count) }
        return 1
    }

    /// nginx's escape maps (`ngx_escape_uri`), one bit per byte, set for a byte that is escaped: 0 URI,
    /// 1 args, 2 URI component (what JavaScript's encodeURIComponent keeps, ngx_lua's), 3 html, 4 refresh,
    /// 5 memcached, 6 mail_auth.
    static let escapeMaps: [[UInt32]] = [
        [0xffff_ffff, 0x8000_0029, 0x0000_0000, 0x8000_0000, 0xffff_ffff, 0xffff_ffff, 0xffff_ffff, 0xffff_ffff],
        [0xffff_ffff, 0x8000_0829, 0x0000_0000, 0x8000_0000, 0xffff_ffff, 0xffff_ffff, 0xffff_ffff, 0xffff_ffff],
        [0xffff_ffff, 0xfc00_987d, 0x7800_0001, 0xb800_0001, 0xffff_ffff, 0xffff_ffff, 0xffff_ffff, 0xffff_ffff],
        [0xffff_ffff, 0x0000_00ad, 0x0000_0000, 0x8000_0000, 0xffff_ffff, 0xffff_ffff, 0xffff_ffff, 0xffff_ffff],
        [0xffff_ffff, 0x0000_0085, 0x0000_0000, 0x8000_0000, 0xffff_ffff, 0xffff_ffff, 0xffff_ffff, 0xffff_ffff],
        [0xffff_ffff, 0x0000_0021, 0, 0, 0, 0, 0, 0],
        [0xffff_ffff, 0x0000_0021, 0, 0, 0, 0, 0, 0],
    ]

    /// `escape(s, type?)`: the Lua wrapper (`StringHelpers+Lua.swift`) has checked `type` (0 ... 6, default 2).
    static let escapeURI: LuaFunction = { L in
        let lua = Lua(L!)
        let kind = min(max(Int(lua.toNumber(2) ?? 2), 0), escapeMaps.count - 1)
        return withString(lua, "escape_uri") { b in
            let map = escapeMaps[kind]
            let hex = Array("0123456789ABCDEF".utf8)
            var out: [UInt8] = []
            out.reserveCapacity(b.count)
            for c in b {
                if map[Int(c >> 5)] & (1 << UInt32(c & 31)) == 0 {
                    out.append(c)
                } else {
                    out += [37, hex[Int(c >> 4)], hex[Int(c & 15)]]
                }
            }
            return pushBytes(lua, out)
        }
    }

    static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case 48...57: return c - 48
        case 65...70: return c - 55
        case 97...102: return c - 87
        default: return nil
        }
    }

    static let unescapeURI: LuaFunction = { L in
        let lua = Lua(L!)
        return withString(lua, "unescape_uri") { b in
            var out: [UInt8] = []
            out.reserveCapacity(b.count)
            var i = 0
            while i < b.count {
                let c = b[i]
                if c == 37, i + 2 < b.count + 0, i + 2 <= b.count - 1, let h = hexValue(b[i + 1]),
                    let l = hexValue(b[i + 2])
                {
                    out.append(h << 4 | l)
                    i += 3
                } else {
                    out.append(c == 43 ? 32 : c)
                    i += 1
                }
            }
            return pushBytes(lua, out)
        }
    }

    static let base64Alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    static let encodeBase64: LuaFunction = { L in
        let lua = Lua(L!)
        let noPad = lua.toBool(2)
        return withString(lua, "encode_base64") { b in
            var out: [UInt8] = []
            out.reserveCapacity((b.count + 2) / 3 * 4)
            var i = 0
            while i + 2 < b.count {
                let v = UInt32(b[i]) << 16 | UInt32(b[i + 1]) << 8 | UInt32(b[i + 2])
                out += [
                    base64Alphabet[Int(v >> 18)], base64Alphabet[Int(v >> 12 & 63)],
                    base64Alphabet[Int(v >> 6 & 63)], base64Alphabet[Int(v & 63)],
                ]
                i += 3
            }
            let rest = b.count - i
            if rest > 0 {
                let v = UInt32(b[i]) << 16 | (rest == 2 ? UInt32(b[i + 1]) << 8 : 0)
                out += [base64Alphabet[Int(v >> 18)], base64Alphabet[Int(v >> 12 & 63)]]
                if rest == 2 { out.append(base64Alphabet[Int(v >> 6 & 63)]) }
                if !noPad { out += rest == 2 ? [61] : [61, 61] }
            }
            return pushBytes(lua, out)
        }
    }

    static let decodeBase64: LuaFunction = { L in
        let lua = Lua(L!)
        guard lua.type(at: 1) == .string || lua.type(at: 1) == .number, let b = lua.bytes(1) else {
            return lua.error(NgxStrings.badStringArg(1, "decode_base64"))
        }
        var table = [UInt8](repeating: 255, count: 256)
        for (i, c) in base64Alphabet.enumerated() { table[Int(c)] = UInt8(i) }
        var n = b.count
        while n > 0 && b[n - 1] == 61 { n -= 1 }
        guard n % 4 != 1 else { return 0 }  // nil: not base64
        var out: [UInt8] = []
        out.reserveCapacity(n * 3 / 4)
        var acc: UInt32 = 0
        var bits = 0
        for i in 0..<n {
            let v = table[Int(b[i])]
            guard v != 255 else {
                lua.pushNil()
                return 1
            }
            acc = acc << 6 | UInt32(v)
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(acc >> UInt32(bits) & 255))
            }
        }
        return pushBytes(lua, out)
    }

    /// CRC-32 (IEEE, as nginx's `ngx_crc32_*`).
    static let crcTable: [UInt32] = (0..<256).map { i -> UInt32 in
        var c = UInt32(i)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    static let crc32: LuaFunction = { L in
        let lua = Lua(L!)
        return withString(lua, "crc32") { b in
            var c: UInt32 = 0xFFFF_FFFF
            for x in b { c = crcTable[Int((c ^ UInt32(x)) & 255)] ^ (c >> 8) }
            lua.push(Double(c ^ 0xFFFF_FFFF))
            return 1
        }
    }
}
