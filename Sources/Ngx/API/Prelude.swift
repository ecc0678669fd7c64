import CLuaJIT
import CShim
import LuaKit

/// The Lua layer over the Swift API, installed in every VM before any user code runs:
/// - the yielding functions as wrappers over their Swift halves: the Swift half returns its results at once,
///   or parks the thread and returns the yield sentinel; the wrapper then yields (with the `coroutine.yield`
///   captured here) and, once resumed, fetches the results inside the running coroutine — the loop never
///   pushes a value onto a parked coroutine;
/// - the hot path over `FastPath`'s FFI entry points, so a handler's loop runs in LuaJIT traces: a receive
///   whose bytes are buffered, a print/say of strings and numbers under the output limit, a
///   wait_next_request whose next bytes are there, `ngx.now/time/update_time`, `ngx.re.match` with `o`.
///   Everything else (bad arguments, waits, failures) takes the classic path, which raises and returns exactly
///   as before.
extension NgxAPI {
    static let prelude = """
        local ngx, YIELD, results, yield, park_next, park_yield, fast = ...
        local ffi = require "ffi"
        local type, tostring, select, floor = type, tostring, select, math.floor
        local ffi_string, ffi_copy, cast = ffi.string, ffi.copy, ffi.cast
        local C_receive = cast("int (*)(int, int, const char **)", fast[1])
        local C_output = cast("char *(*)(long)", fast[2])
        local C_next = cast("int (*)(void)", fast[3])
        local C_now = cast("double (*)(void)", fast[4])
        local C_update_time = cast("void (*)(void)", fast[5])
        local received = ffi.new("const char *[1]")
        -- ByteBuffer's 32-bit counts read as signed, so the trace computes with integers, not doubles: an index
        -- past 2 GiB reads negative, and the checks below (an index >= 0, a count >= what is asked) then take
        -- the classic path.
        ffi.cdef[[typedef struct { const char *base; int32_t cap, rd, wr; } tl_buffer;]]
        local input = cast("tl_buffer **", fast[13])
        local rbudget = cast("int32_t *", fast[14])
        local output = cast("tl_buffer **", fast[15])
        local olimit = cast("int32_t *", fast[16])
        local receive, print, say, wait_next_request, sleep, exit =
          ngx.receive, ngx.print, ngx.say, ngx.wait_next_request, ngx.sleep, ngx.exit

        -- The classic paths are tail-called small functions: a parked thread's stack holds their frame, not
        -- the fast path's, and stays within the coroutine's first stack allocation. They return what the
        -- classic function returns, as many values as it does.
        local function after(a, ...)
          if a == YIELD then yield() return results() end
          return a, ...
        end
        local function slow(f, ...)
          return after(f(...))
        end

        ngx.receive = function(...)
          local total, at_least = ...
          if type(total) == "number" and select("#", ...) <= 2 then
            local tal = type(at_least)
            if tal == "number" or tal == "nil" then
              -- Counts are truncated before they are compared, as the classic path's Int(Double) and the
              -- seed's lua_tointeger do.
              local t = floor(total)
              local al = at_least and floor(at_least) or t
              if t >= 1 and t < 2147483648 and al >= 1 and al <= t then
                -- Bytes already buffered are taken straight from the connection's input (no call).
                local b, bud = input[0], rbudget[0] - 1
                if b ~= nil and bud > 0 then
                  local rd = b.rd
                  local avail = b.wr - rd
                  if rd >= 0 and avail >= al then
                    rbudget[0] = bud
                    local n = avail < t and avail or t
                    local s = ffi_string(b.base + rd, n)
                    if n == avail then b.rd = 0 b.wr = 0 else b.rd = rd + n end
                    return s
                  end
                end
                local n = C_receive(t, al, received)  -- reads, or declines
                if n >= 0 then return ffi_string(received[0], n) end  -- consumed, still in the buffer
              end
            end
          end
          return slow(receive, ...)
        end

        local function str(v)
          local t = type(v)
          if t == "string" then return v end
          if t == "number" then return tostring(v) end
          return nil
        end

        -- Appends up to four string or number arguments (and a newline): their byte count, or nil.
        local function out(nl, n, a, b, c, d)
          if n > 4 then return nil end
          local la, lb, lc, ld = 0, 0, 0, 0
          if n >= 1 then a = str(a) if a == nil then return nil end la = #a end
          if n >= 2 then b = str(b) if b == nil then return nil end lb = #b end
          if n >= 3 then c = str(c) if c == nil then return nil end lc = #c end
          if n >= 4 then d = str(d) if d == nil then return nil end ld = #d end
          local len = la + lb + lc + ld + nl
          -- Appended to the connection's output without a call while it is open, has room and stays under
          -- the print limit; with no buffer yet, it takes the input's once that is empty (as
          -- Connection.ensureOutputBuffer does). Else C_output makes room, or declines.
          local p
          local o = output[0]
          if o ~= nil then
            if o.base == nil then
              local i = input[0]
              if i.base ~= nil and i.rd == i.wr then
                o.base, o.cap, o.rd, o.wr = i.base, i.cap, 0, 0
                i.base, i.cap, i.rd, i.wr = nil, 0, 0, 0
              end
            end
            local wr = o.wr
            if o.base ~= nil and wr >= 0 and len <= o.cap - wr and wr - o.rd + len < olimit[0] then
              o.wr = wr + len
              p = cast("char *", o.base + wr)
            end
          end
          if p == nil then
            p = C_output(len)
            if p == nil then return nil end
          end
          if la > 0 then ffi_copy(p, a, la) end
          if lb > 0 then ffi_copy(p + la, b, lb) end
          if lc > 0 then ffi_copy(p + la + lb, c, lc) end
          if ld > 0 then ffi_copy(p + la + lb + lc, d, ld) end
          if nl == 1 then p[len - 1] = 10 end
          return len
        end

        ngx.print = function(...)
          local len = out(0, select("#", ...), ...)
          if len then return len, "ok" end
          return slow(print, ...)
        end

        ngx.say = function(...)
          local len = out(1, select("#", ...), ...)
          if len then return len, "ok" end
          return slow(say, ...)
        end

        -- With nothing buffered in a client session, the call is a yield from park_yield (tl_yield_park, C);
        -- after it the thread's resume loop sends the output, ends the light session and parks the thread
        -- (its results are none), or lets it run on when the next bytes are readable already. Where the
        -- coroutine cannot yield, park_yield raises what the classic path does. With bytes buffered, C_next
        -- ends the light session and finds them (0), or says how to park (the classic path).
        local function park(r)
          if r < 0 then r = wait_next_request() else r = park_next(r == 3 and 1 or r) end
          if r == YIELD then yield() return results() end
        end

        ngx.wait_next_request = function()
          local b = input[0]
          if b ~= nil and b.rd == b.wr then
            park_yield()
            return
          end
          local r = C_next()
          if r == 0 then return end
          return park(r)
        end

        ngx.sleep = function(...)
          if sleep(...) == YIELD then yield() return results() end
        end

        ngx.exit = function(...)
          exit(...)
          yield()
        end

        -- ngx.shared.DICT: get, set and incr of string keys over the FFI; everything else, the classic methods.
        local meta = debug.getregistry()["tcplua.shared_dict"]
        if meta then
          ffi.cdef[[typedef struct { double number; const char *bytes; int32_t len; uint32_t flags;
                                     int32_t forcible; int32_t error; } tl_dict_result;]]
          local D_get = cast("int (*)(void *, const char *, int, tl_dict_result *)", fast[6])
          local D_set = cast("int (*)(void *, const char *, int, int, const char *, int, double, double, double, "
            .. "int, tl_dict_result *)", fast[7])
          local D_ttl = cast("int (*)(void *, const char *, int, tl_dict_result *)", fast[9])
          local D_incr = cast("int (*)(void *, const char *, int, double, int, double, tl_dict_result *)", fast[8])
          local res = ffi.new("tl_dict_result")
          local ERR = { "exists", "not found", "no memory", "not a number", "value not a list" }
          local methods = meta.__index
          local get, set, incr, ttl = methods.get, methods.set, methods.incr, methods.ttl

          -- Each dictionary's zone as a cdata pointer, made once (a light userdata cannot be converted to a
          -- pointer inside a trace).
          local zones = setmetatable({}, { __mode = "k" })
          local function zone_key(self, key)
            if type(self) ~= "table" or type(key) ~= "string" then return nil end
            local kl = #key
            if kl == 0 or kl > 65535 then return nil end
            local zone = zones[self]
            if zone == nil then
              local z = rawget(self, 1)
              if type(z) ~= "userdata" then return nil end
              zone = cast("void *", z)
              zones[self] = zone
            end
            return zone, kl
          end

          methods.get = function(self, key, ...)
            local zone, kl = zone_key(self, key)
            if zone then
              local k = D_get(zone, key, kl, res)
              if k >= 0 then
                local v
                if k == 0 then return nil
                elseif k == 1 then v = ffi_string(res.bytes, res.len)
                elseif k == 2 then v = res.number
                else v = k == 4 end
                local flags = res.flags
                if flags ~= 0 then return v, flags end
                return v
              end
            end
            return get(self, key, ...)
          end

          -- set (mode 0), add (1), replace (2); the classic method for a nil value (a delete), bad types
          local function store(classic, mode, self, key, value, exptime, flags, ...)
            local zone, kl = zone_key(self, key)
            local te, tf = type(exptime), type(flags)
            if zone and (te == "nil" or te == "number") and (tf == "nil" or tf == "number") then
              local tv, r = type(value), -1
              if tv == "string" then
                r = D_set(zone, key, kl, 1, value, #value, 0, exptime or 0, flags or 0, mode, res)
              elseif tv == "number" then
                r = D_set(zone, key, kl, 2, "", 0, value, exptime or 0, flags or 0, mode, res)
              elseif tv == "boolean" then
                r = D_set(zone, key, kl, 3, "", 0, value and 1 or 0, exptime or 0, flags or 0, mode, res)
              end
              if r == 1 then return true, nil, res.forcible ~= 0 end
              if r == 0 then return false, ERR[res.error], res.forcible ~= 0 end
            end
            return classic(self, key, value, exptime, flags, ...)
          end
          local add, replace, delete = methods.add, methods.replace, methods.delete
          methods.set = function(...) return store(set, 0, ...) end
          methods.add = function(...) return store(add, 1, ...) end
          methods.replace = function(...) return store(replace, 2, ...) end

          methods.delete = function(self, key, ...)
            local zone, kl = zone_key(self, key)
            if zone then
              local r = D_set(zone, key, kl, 0, "", 0, 0, 0, 0, 0, res)
              if r == 1 then return true, nil, res.forcible ~= 0 end
            end
            return delete(self, key, ...)
          end

          methods.ttl = function(self, key, ...)
            local zone, kl = zone_key(self, key)
            if zone then
              local r = D_ttl(zone, key, kl, res)
              if r == 1 then return res.number end
              if r == 0 then return nil, ERR[res.error] end
            end
            return ttl(self, key, ...)
          end

          methods.incr = function(self, key, n, init, init_ttl, ...)
            local zone, kl = zone_key(self, key)
            local ti = type(init)
            if zone and type(n) == "number" and (ti == "nil" or ti == "number") and init_ttl == nil then
              local r = D_incr(zone, key, kl, n, init and 1 or 0, init or 0, res)
              if r == 1 then
                if init == nil then return res.number end
                return res.number, nil, res.forcible ~= 0
              end
              if r == 0 then return nil, ERR[res.error] end
            end
            return incr(self, key, n, init, init_ttl, ...)
          end
        end

        -- ngx.re.match of a string subject and regex with the "o" option: the regex looked up once per
        -- (options, pattern) and kept here, then one FFI call per match, which leaves the offsets in a reused
        -- buffer; the captures table is built here. Everything else (no "o", "d", named groups, a bad regex or
        -- option, a match error, odd arguments) takes the classic function.
        local re = ngx.re
        if re then
          local R_compile = cast("void *(*)(const char *, int, const char *, int)", fast[10])
          local R_exec = cast("int (*)(void *, int, int, const char *, int, int)", fast[11])
          local offsets = cast("int32_t *", fast[12])
          local match, sub, rawset, new_tab = re.match, string.sub, rawset, require "table.new"
          local compiled, kept = {}, 0  -- [opts][regex] = { code, pairs, mode } or false (the classic path)
          local function lookup(regex, opts)
            local code = R_compile(regex, #regex, opts, #opts)
            local r = false
            if code ~= nil then r = { code, offsets[0], offsets[1] } end
            if kept < 4096 then
              kept = kept + 1
              local t = compiled[opts]
              if not t then t = {} compiled[opts] = t end
              t[regex] = r
            end
            return r
          end
          re.match = function(subj, regex, opts, ctx, res)
            if type(subj) == "string" and type(regex) == "string" and type(opts) == "string" then
              local t = compiled[opts]
              local r = t and t[regex]
              if r == nil then r = lookup(regex, opts) end
              if r then
                local pos, len = 1, #subj
                if ctx then
                  if type(ctx) ~= "table" then return match(subj, regex, opts, ctx, res) end
                  local p = ctx.pos
                  if type(p) == "number" then
                    if p > 0 then pos = p end
                  elseif p then
                    return match(subj, regex, opts, ctx, res)
                  end
                end
                if pos <= len + 1 then
                  local n = R_exec(r[1], r[2], r[3], subj, len, pos - 1)
                  if n == 0 then return nil end  -- no match: one nil, as lua-resty-core's
                  if n > 0 then
                    local caps
                    if type(res) == "table" then  -- emptying it is the caller's duty (ngx_lua 0.9.6 on)
                      caps = res
                      for i = 0, n - 1 do
                        local a, b = offsets[2 * i], offsets[2 * i + 1]
                        rawset(caps, i, a >= 0 and b >= a and sub(subj, a + 1, b) or false)
                      end
                    else
                      caps = new_tab(n, 0)  -- room for [0] .. [n - 1]
                      for i = 0, n - 1 do
                        local a, b = offsets[2 * i], offsets[2 * i + 1]
                        caps[i] = a >= 0 and b >= a and sub(subj, a + 1, b) or false
                      end
                    end
                    if ctx then ctx.pos = offsets[1] + 1 end
                    return caps
                  end
                end
              end
            end
            return match(subj, regex, opts, ctx, res)
          end
        end

        ngx.now = function() return C_now() end
        ngx.time = function() return floor(C_now()) end
        ngx.update_time = function() C_update_time() end
        """

    /// Installs the Lua layer over the `ngx` table on top of the stack. Inside `LuaVM.protected`.
    static func installPrelude(_ lua: Lua) {
        runLayer(lua, prelude, chunkName: "=ngx") {
            lua.push(ngxParkNextRequest)
            lua_pushcclosure(lua.L, tl_yield_park, 0)
            FastPath.push(lua)
            return 3
        }
    }

    /// Runs one of tcplua's Lua layers with `(ngx, YIELD, results, yield, ...)`, `ngx` being the table on top of
    /// the stack and the rest what `extra` pushes (it returns their count). Inside `LuaVM.protected`; a
    /// failure is a bug in tcplua's own Lua.
    static func runLayer(_ lua: Lua, _ code: String, chunkName: String, _ extra: () -> Int32) {
        guard lua.load(code, chunkName: chunkName) else { fatalError("\(chunkName): \(lua.string(-1) ?? "?")") }
        lua.pushValue(at: -2)
        pushYieldSentinel(lua)
        lua.push(ngxResults)
        pushAPIYield(lua)
        let n = extra()
        if let message = lua.pcallTraceback(nargs: 4 + n, nresults: 0) { fatalError("\(chunkName): \(message)") }
    }

    /// The `yield` a wrapper calls once its Swift half parked the thread: `coroutine.yield(YIELD)`, so that a
    /// user coroutine's `coroutine.resume` (the thread layer's) knows the yield is the API's and passes it up.
    /// Made once per VM (kept in the registry).
    static func pushAPIYield(_ lua: Lua) {
        lua.getField(LUA_REGISTRYINDEX, apiYieldKey)
        if lua.type(at: -1) == .function { return }
        lua.pop()
        guard lua.load("local y, Y = ... return function() return y(Y) end", chunkName: "=ngx") else {
            fatalError("api yield: \(lua.string(-1) ?? "?")")
        }
        lua.getGlobal("coroutine")
        lua.getField(-1, "yield")
        lua.remove(at: -2)
        pushYieldSentinel(lua)
        if let message = lua.pcallTraceback(nargs: 2, nresults: 1) { fatalError("api yield: \(message)") }
        lua.pushValue(at: -1)
        lua.setField(LUA_REGISTRYINDEX, apiYieldKey)
    }

    static let apiYieldKey = "tcplua.api_yield"
}
