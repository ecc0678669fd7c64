import CShim
import LuaKit

/// `ngx.md5(s)` (32 lowercase hex digits), `ngx.md5_bin(s)` (16 bytes), `ngx.sha1_bin(s)` (20 bytes),
/// `ngx.hmac_sha1(key, s)` (20 bytes), from Debian's OpenSSL. A nil argument is the empty string and a number
/// its text, as in lua-resty-core; another type raises. Context: any. Never yields.
extension NgxAPI {
    static func injectDigest(_ lua: Lua) {
        let functions: [(String, LuaFunction)] = [
            ("md5", md5Hex), ("md5_bin", md5Bin), ("sha1_bin", sha1Bin), ("hmac_sha1", hmacSHA1),
        ]
        for (name, f) in functions {
            lua.push(f)
            lua.setField(-2, name)
        }
    }

    /// The bytes of argument `i` for a digest: nil is "", a string or number its bytes; nil for another type.
    static func digestInput(_ lua: Lua, _ i: Int32) -> UnsafeRawBufferPointer? {
        switch lua.type(at: i) {
        case .none, .nil: return UnsafeRawBufferPointer(start: nil, count: 0)
        case .string, .number: return lua.bytes(i)
        default: return nil
        }
    }

    static func digest(
        _ lua: Lua,
        _ fn: StaticString,
        hex: Bool,
        _ body: (UnsafeRawBufferPointer, UnsafeMutablePointer<UInt8>) -> Int32
    ) -> Int32 {
        guard let input = digestInput(lua, 1) else { return lua.error(NgxStrings.badStringArg(1, "\(fn)")) }
        var out = [UInt8](repeating: 0, count: 64)
        let n = out.withUnsafeMutableBufferPointer { body(input, $0.baseAddress!) }
        guard n > 0 else { return lua.error("\(fn) failed") }
        if !hex { return pushBytes(lua, Array(out[0..<Int(n)])) }
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        for b in out[0..<Int(n)] {
            text.append(digits[Int(b >> 4)])
            text.append(digits[Int(b & 15)])
        }
        return pushBytes(lua, text)
    }

    static let md5Hex: LuaFunction = { L in
        digest(Lua(L!), "md5", hex: true) { b, out in tl_md5(b.baseAddress, b.count, out) }
    }
    static let md5Bin: LuaFunction = { L in
        digest(Lua(L!), "md5_bin", hex: false) { b, out in tl_md5(b.baseAddress, b.count, out) }
    }
    static let sha1Bin: LuaFunction = { L in
        digest(Lua(L!), "sha1_bin", hex: false) { b, out in tl_sha1(b.baseAddress, b.count, out) }
    }
    static let hmacSHA1: LuaFunction = { L in
        let lua = Lua(L!)
        guard let key = digestInput(lua, 1) else { return lua.error(NgxStrings.badStringArg(1, "hmac_sha1")) }
        guard let data = digestInput(lua, 2) else { return lua.error(NgxStrings.badStringArg(2, "hmac_sha1")) }
        var out = [UInt8](repeating: 0, count: 20)
        let n = out.withUnsafeMutableBufferPointer {
            tl_hmac_sha1(key.baseAddress, key.count, data.baseAddress, data.count, $0.baseAddress)
        }
        guard n == 20 else { return lua.error("hmac_sha1 failed") }
        return pushBytes(lua, out)
    }
}
