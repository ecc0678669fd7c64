import LuaKit

/// lua-resty-core's Lua half of the string helpers, over the Swift ones: `md5`, `md5_bin`, `sha1_bin`,
/// `crc32_short`, `crc32_long`, `escape_uri`, `unescape_uri` and `encode_base64` take a non-string argument as
/// resty.core does (nil and false are "", anything else `tostring`'s text, so `ngx.md5(true)` is the md5 of
/// "true"); `encode_base64` refuses a `no_padding` that is neither nil, false nor true, and `decode_base64`
/// anything but a string, in resty.core's words. Any phase; never yield.
extension NgxAPI {
    static func injectStringCoercions(_ lua: Lua) {
        guard lua.load(stringsLua, chunkName: "=ngx.strings") else {
            fatalError("ngx.strings: \(lua.string(-1) ?? "?")")
        }
        lua.pushValue(at: -2)
        if let message = lua.pcallTraceback(nargs: 1, nresults: 0) { fatalError("ngx.strings: \(message)") }
    }

    static let stringsLua = #"""
        local ngx = ...
        local type, tostring, error = type, tostring, error
        local function str(s)
          if type(s) ~= "string" then
            if not s then return "" end
            return tostring(s)
          end
          return s
        end
        for _, name in ipairs({ "md5", "md5_bin", "sha1_bin", "crc32_short", "crc32_long", "unescape_uri" }) do
          local f = ngx[name]
          ngx[name] = function(s) return f(str(s)) end
        end
        local escape, encode, decode = ngx.escape_uri, ngx.encode_base64, ngx.decode_base64
        function ngx.escape_uri(s, esc_type)
          if esc_type == nil then
            esc_type = 2  -- NGX_ESCAPE_URI_COMPONENT
          else
            if type(esc_type) ~= "number" then error("\"type\" is not a number", 3) end
            if esc_type < 0 or esc_type > 6 then error("\"type\" " .. esc_type .. " out of range", 3) end
          end
          return escape(str(s), esc_type)
        end
        function ngx.encode_base64(s, no_padding)
          s = str(s)
          if no_padding and no_padding ~= true then
            error("bad no_padding: boolean expected, got " .. type(no_padding), 2)
          end
          return encode(s, no_padding)
        end
        function ngx.decode_base64(s)
          if type(s) ~= "string" then error("string argument only", 2) end
          return decode(s)
        end
        """#
}
