import LuaKit

/// `ngx.encode_args(t)`, `ngx.decode_args(str, max_args?)` (default 100, 0 = no limit), `ngx.quote_sql_str(s)`,
/// the functions of `ngx.config` (`prefix()`, `nginx_configure()`) and lua-resty-core's `ngx.base64` module
/// (`encode_base64url`, `decode_base64url`), written in Lua over `ngx.escape_uri`/`unescape_uri` and
/// `encode_base64`/`decode_base64` with OpenResty's results and words. Any phase; never yield.
extension NgxAPI {
    static func injectArgs(_ lua: Lua, prefix: String) {
        guard lua.load(argsLua, chunkName: "=ngx.args") else { fatalError("ngx.args: \(lua.string(-1) ?? "?")") }
        lua.pushValue(at: -2)
        lua.push(prefix.hasSuffix("/") ? prefix : prefix + "/")
        if let message = lua.pcallTraceback(nargs: 2, nresults: 1) { fatalError("ngx.args: \(message)") }
        BuiltinModules.preload(lua, name: "ngx.base64")
    }

    static let argsLua = #"""
        local ngx, prefix = ...
        local type, pairs, tostring, tonumber, error, select, concat, sub, find, gsub, byte, floor, ceil =
          type, pairs, tostring, tonumber, error, select, table.concat, string.sub, string.find, string.gsub,
          string.byte, math.floor, math.ceil
        local escape, unescape = ngx.escape_uri, ngx.unescape_uri
        local function arg_value(out, k, v)
          local tv = type(v)
          if tv == "string" or tv == "number" then
            out[#out + 1] = k .. "=" .. escape(tostring(v))
          elseif tv == "boolean" then
            if v then out[#out + 1] = k end
          else
            error("attempt to use " .. tv .. " as query arg value", 3)
          end
        end
        -- The argument checks of ngx_stream_lua_string.c, in its order and words.
        function ngx.encode_args(...)
          local n, t = select("#", ...), ...
          if n ~= 1 then error("expecting 1 argument but seen " .. n, 2) end
          if type(t) ~= "table" then
            error("bad argument #1 to 'encode_args' (table expected, got " .. type(t) .. ")", 2)
          end
          local out = {}
          for k, v in pairs(t) do
            if type(k) ~= "string" then
              error("attempt to use a non-string key in the \"args\" option table", 2)
            end
            k = escape(k)
            if type(v) == "table" then
              for i = 1, #v do arg_value(out, k, v[i]) end
            else
              arg_value(out, k, v)
            end
          end
          return concat(out, "&")
        end
        local function add(t, k, v)
          if k == "" then return end
          local old = t[k]
          if old == nil then t[k] = v
          elseif type(old) == "table" then old[#old + 1] = v
          else t[k] = { old, v } end
        end
        function ngx.decode_args(...)
          local argc, s, max = select("#", ...), ...
          if argc ~= 1 and argc ~= 2 then error("expecting 1 or 2 arguments but seen " .. argc, 2) end
          local ts = type(s)
          if ts == "number" then
            s = tostring(s)
          elseif ts ~= "string" then
            error("bad argument #1 to 'decode_args' (string expected, got " .. ts .. ")", 2)
          end
          if argc == 2 then  -- a number or a numeric string, truncated (ngx_lua's check)
            local m = tonumber(max)
            if type(max) ~= "number" and (type(max) ~= "string" or not m) then
              error("bad argument #2 to 'decode_args' (number expected, got " .. type(max) .. ")", 2)
            end
            max = m >= 0 and floor(m) or ceil(m)
          else
            max = 100
          end
          local t, pos, n, len = {}, 1, 0, #s
          while pos <= len do
            local amp = find(s, "&", pos, true)
            local piece = sub(s, pos, (amp or len + 1) - 1)
            local eq = find(piece, "=", 1, true)
            if eq then
              add(t, unescape(sub(piece, 1, eq - 1)), unescape(sub(piece, eq + 1)))
            else
              add(t, unescape(piece), true)
            end
            if not amp then break end
            n = n + 1
            if max > 0 and n == max then break end
            pos = amp + 1
          end
          return t
        end
        local sql = { ["\0"] = "\\0", ["\b"] = "\\b", ["\n"] = "\\n", ["\r"] = "\\r", ["\t"] = "\\t",
          ["\26"] = "\\Z", ["\\"] = "\\\\", ["'"] = "\\'", ['"'] = '\\"' }
        function ngx.quote_sql_str(...)
          if select("#", ...) ~= 1 then error("expecting one argument", 2) end
          local s = ...
          if type(s) ~= "string" then
            if type(s) ~= "number" then
              error("bad argument #1 to 'quote_sql_str' (string expected, got " .. type(s) .. ")", 2)
            end
            s = tostring(s)
          end
          return "'" .. gsub(s, "[%z\b\n\r\t\26\\'\"]", sql) .. "'"
        end
        ngx.config.prefix = function() return prefix end
        ngx.config.nginx_configure = function() return "" end
        local encode, decode = ngx.encode_base64, ngx.decode_base64
        local b64 = { version = "0.1.28" }
        local url_out = { ["+"] = "-", ["/"] = "_" }
        local url_in = { ["-"] = "+", ["_"] = "/" }
        function b64.encode_base64url(s)
          if type(s) ~= "string" then return error("string argument only", 2) end
          return (gsub(encode(s, true), "[+/]", url_out))
        end
        function b64.decode_base64url(s)
          if type(s) ~= "string" then return error("string argument only", 2) end
          if find(s, "[^%w%-_]") or #s % 4 == 1 then return nil, "invalid input" end
          local r = decode((gsub(s, "[-_]", url_in)))
          if not r then return nil, "invalid input" end
          return r
        end
        return b64
        """#
}
