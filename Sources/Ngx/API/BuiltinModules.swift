import LuaKit

/// Modules tcplua builds in, found by `require` after the package path and cpath searchers, so a user's own
/// module of the same name on `lua_package_path` wins. `netutil` keeps the seed's wire behaviour
/// (api-survey §1.2): big-endian packing, and `htonl` & co. returning their argument unchanged.
enum BuiltinModules {
    static let sources: [String: String] = [
        "netutil": """
        local floor, char, byte = math.floor, string.char, string.byte
        local M = { LITTLE_ENDIAN = true }
        function M.htonl(n) return n end
        function M.ntohl(n) return n end
        function M.htons(n) return n end
        function M.ntohs(n) return n end
        function M.packint32(n)
          n = floor(tonumber(n)) % 4294967296
          return char(floor(n / 16777216) % 256, floor(n / 65536) % 256, floor(n / 256) % 256, n % 256)
        end
        function M.unpackint32(s)
          local a, b, c, d = byte(s, 1, 4)
          if not d then return nil end
          return ((a * 256 + b) * 256 + c) * 256 + d
        end
        function M.packint16(n)
          n = floor(tonumber(n)) % 65536
          return char(floor(n / 256) % 256, n % 256)
        end
        function M.unpackint16(s)
          local a, b = byte(s, 1, 2)
          if not b then return nil end
          return a * 256 + b
        end
        return M
        """,
        // lua-resty-core: OpenResty loads it itself (`lua_load_resty_core` is a no-op there), so scripts that
        // require it first keep working; tcplua's API is its own, so it adds nothing.
        "resty.core": "return { version = require('resty.core.base').version }",
        "resty.core.base": """
        local ok, new_tab = pcall(require, "table.new")
        if not ok then new_tab = function() return {} end end
        local ok2, clear_tab = pcall(require, "table.clear")
        if not ok2 then clear_tab = function(t) for k in pairs(t) do t[k] = nil end end end
        return { version = "0.1.28", new_tab = new_tab, clear_tab = clear_tab, FFI_OK = 0, FFI_NO_REQ_CTX = -100,
          FFI_BAD_CONTEXT = -101, FFI_ERROR = -1, FFI_AGAIN = -2, FFI_BUSY = -3, FFI_DONE = -4,
          FFI_DECLINED = -5, FFI_ABORT = -6 }
        """,
        "ngx.semaphore": NgxAPI.semaphoreModule,
    ]

    /// Built-in modules that come before `package.path`: lua-resty-core's own files (Debian's
    /// `lua-resty-core` among them) need OpenResty's FFI symbols and cannot load in tcplua; tcplua's own
    /// APIs under lua-resty-core's names (`ngx.semaphore`) must win over them.
    static let preloaded = ["resty.core", "resty.core.base", "ngx.semaphore"]

    /// Appends a searcher to `package.loaders` that serves the built-in modules, and puts the `preloaded`
    /// ones in `package.preload`. Inside `LuaVM.protected`.
    static func install(_ lua: Lua) {
        lua.getGlobal("package")
        lua.getField(-1, "preload")
        for name in preloaded {
            if lua.load(sources[name]!, chunkName: "=builtin:" + name) {
                lua.setField(-2, name)  // the chunk itself is the loader: it returns the module
            } else {
                lua.pop()
            }
        }
        lua.pop(2)
        lua.getGlobal("package")
        lua.getField(-1, "loaders")
        let n = Int32(lua.objlen(-1))
        lua.push(searcher)
        lua.rawSetI(-2, n + 1)
        lua.pop(2)
    }

    /// Makes the value on top of the stack the module `name` (`package.loaded[name]`) and pops it: modules
    /// that are part of the API (`ngx.re`, `ngx.base64`), made with it. Raises: inside a protected call.
    static func preload(_ lua: Lua, name: String) {
        lua.getGlobal("package")
        lua.getField(-1, "loaded")
        lua.pushValue(at: -3)
        lua.setField(-2, name)
        lua.pop(3)
    }

    static let searcher: LuaFunction = { L in
        let lua = Lua(L!)
        guard let name = lua.string(1), let code = sources[name] else {
            lua.push("\n\tno built-in module '\(lua.string(1) ?? "?")'")
            return 1
        }
        return lua.load(code, chunkName: "=builtin:" + name) ? 1 : Lua.raise
    }
}
