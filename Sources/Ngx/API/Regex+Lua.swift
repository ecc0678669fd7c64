/// The Lua half of `ngx.re` (`Regex.swift` is the Swift half, `exec`): `match`, `find`, `gmatch`, `sub`, `gsub`
/// and lua-resty-core's `ngx.re` module functions `split` and `opt`, as lua-resty-core writes them over its FFI
/// primitive. `exec(subject, regex, options, pos, mode, res, nth)`: mode 0 compiles only (`true` or
/// `nil, err`), 1 matches with captures (`from, to, captures`), 2 matches for `find` (`from, to` of the `nth`
/// group, `false, false` when it did not take part, then the whole match's end); no match returns nothing.
extension NgxAPI {
    static let regexLua = """
        local ngx, exec = ...
        local sub, find, byte, concat, type, tostring, tonumber, error =
          string.sub, string.find, string.byte, table.concat, type, tostring, tonumber, error
        local re = {}
        ngx.re = re
        -- After an empty match the next try starts one character further: a UTF-8 character with "u"/"U".
        local function step(subj, at, opts)
          if not opts or not find(opts, "[uU]") then return 1 end
          local b = byte(subj, at)
          if not b or b < 0xC0 then return 1 end
          return b >= 0xF0 and 4 or b >= 0xE0 and 3 or 2
        end
        local function start(ctx)
          if not ctx then return 1 end
          local pos = ctx.pos
          if not pos or pos <= 0 then return 1 end
          return pos
        end
        -- Subjects go through tostring first, as lua-resty-core's do (nil is "nil").
        function re.match(subj, regex, opts, ctx, res)
          local from, to, caps = exec(tostring(subj), regex, opts, start(ctx), 1, res)
          if not from then  -- no match: one nil (lua-resty-core's); an error: nil, err
            if to == nil then return nil end
            return nil, to
          end
          if ctx then ctx.pos = to + 1 end
          return caps
        end
        function re.find(subj, regex, opts, ctx, nth)
          local from, to, mend = exec(tostring(subj), regex, opts, start(ctx), 2, nil, nth)
          if from == nil then
            if to == nil then return nil end
            return nil, nil, to
          end
          if ctx then ctx.pos = mend + 1 end
          if not from then return nil, nil end
          return from, to
        end
        function re.gmatch(subj, regex, opts)
          subj = tostring(subj)
          local ok, err = exec(subj, regex, opts, 1, 0)
          if not ok then return nil, err end
          local pos, len, done = 1, #subj, false
          return function()
            if done then return nil end
            local from, to, caps = exec(subj, regex, opts, pos, 1)
            if not from then
              done = true
              if to == nil then return nil end
              return nil, to
            end
            pos = to + 1
            if to < from then  -- an empty match: the next try starts one further
              if from > len then done = true end
              pos = from + step(subj, from, opts)
            end
            return caps
          end
        end
        -- A replacement template: $0, $1 .. $99, ${1}, $$ (group numbers only, as ngx_lua's template
        -- compiler); nil when it is malformed.
        local function parse(tpl)
          local parts, i, n = {}, 1, #tpl
          while i <= n do
            local j = find(tpl, "$", i, true)
            if not j then parts[#parts + 1] = sub(tpl, i) break end
            if j > i then parts[#parts + 1] = sub(tpl, i, j - 1) end
            local c = sub(tpl, j + 1, j + 1)
            if c == "$" then
              parts[#parts + 1] = "$"
              i = j + 2
            elseif c == "{" then
              local d = tpl:match("^%d+}", j + 2)
              if not d then return nil end
              parts[#parts + 1] = { tonumber(sub(d, 1, -2)) }
              i = j + 2 + #d
            else
              local d = tpl:match("^%d+", j + 1)
              if not d then return nil end
              parts[#parts + 1] = { tonumber(d) }
              i = j + 1 + #d
            end
          end
          return parts
        end
        local function expand(parts, caps, out)
          for k = 1, #parts do
            local p = parts[k]
            if type(p) == "string" then out[#out + 1] = p else out[#out + 1] = caps[p[1]] or "" end
          end
        end
        local function replace(subj, regex, repl, opts, global)
          subj = tostring(subj)
          local rtype, parts = type(repl)
          if rtype ~= "function" then
            repl = tostring(repl)
            parts = parse(repl)
            if not parts then return nil, nil, "failed to compile the replacement template" end
          end
          local ok, err = exec(subj, regex, opts, 1, 0)
          if not ok then return nil, nil, err end
          local out, pos, last, n, len = {}, 1, 1, 0, #subj
          while pos <= len + 1 do
            local from, to, caps = exec(subj, regex, opts, pos, 1)
            if not from then
              if to then return nil, nil, to end
              break
            end
            out[#out + 1] = sub(subj, last, from - 1)
            if parts then
              expand(parts, caps, out)
            else
              out[#out + 1] = tostring(repl(caps))
            end
            n = n + 1
            last = to + 1
            if to < from then  -- an empty match keeps the next character and moves on
              local w = step(subj, from, opts)
              if from <= len then out[#out + 1] = sub(subj, from, from + w - 1) end
              last = from + w
              pos = from + w
            else
              pos = to + 1
            end
            if not global then break end
          end
          if n == 0 then return subj, 0 end
          out[#out + 1] = sub(subj, last)
          return concat(out), n
        end
        function re.sub(subj, regex, repl, opts) return replace(subj, regex, repl, opts, false) end
        function re.gsub(subj, regex, repl, opts) return replace(subj, regex, repl, opts, true) end
        -- lua-resty-core's `ngx.re` module (`require "ngx.re"`): split and opt.
        local mod = {}
        function mod.split(subj, regex, opts, ctx, max, res)
          subj = tostring(subj)
          if max and max <= 0 then max = nil end
          if res == nil then
            res = {}
          elseif type(res) ~= "table" then
            error("res is not a table", 2)
          end
          local n, pos, len = 0, start(ctx), #subj
          local last = pos
          if regex == "" then
            for k = pos, len do
              if max and n == max - 1 then break end
              n = n + 1
              res[n] = sub(subj, k, k)
              last = k + 1
            end
            if last <= len then n = n + 1 res[n] = sub(subj, last) end
            res[n + 1] = nil  -- only the slot after the last piece, as lua-resty-core
            return res
          end
          while pos <= len + 1 do
            if max and n == max - 1 then break end
            local from, to, caps = exec(subj, regex, opts, pos, 1)
            if not from then
              if to then return nil, to end
              break
            end
            if to < from then  -- an empty match splits between two bytes
              if from > len then break end
              if from > last then n = n + 1 res[n] = sub(subj, last, from - 1) last = from end
              pos = from + 1
            else
              n = n + 1
              res[n] = sub(subj, last, from - 1)
              for k = 1, #caps do if caps[k] then n = n + 1 res[n] = caps[k] end end
              last = to + 1
              pos = to + 1
            end
          end
          n = n + 1
          res[n] = sub(subj, last)
          while n > 0 and res[n] == "" and not max do res[n] = nil n = n - 1 end
          res[n + 1] = nil
          return res
        end
        local jit_stack = 0
        function mod.opt(name, value)
          if name ~= "jit_stack_size" then error("unrecognized option name", 2) end
          if type(value) ~= "number" then error("bad argument #2 to 'opt' (number expected, got "
            .. type(value) .. ")", 2) end
          jit_stack = value
        end
        return mod
        """
}
