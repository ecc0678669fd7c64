"""ngx.re.match with the `o` option takes the FFI road (Prelude.swift over Regex+FastPath.swift): a loop of
`ngx.re.match(line, pattern, "jo")` is compiled into LuaJIT traces with no abort and no classic C call in
tcplua's Lua layer; and what it returns (unset groups, ctx.pos, a reused res table, no match, errors, named
groups, the match limit) is what the classic path returns, checked against Python's `re`."""
import re

from test_regex import run

LINE = '127.0.0.1 - - [01/Dec/2026:10:00:00 +0000] "GET /index.html HTTP/1.1" 200 612 "-" "curl/8.1.2 (xyz)"'
PATTERN = r'^(\S+) \S+ \S+ \[([^\]]+)\] "(\S+) (\S+) [^"]*" (\d+) (\d+)'

# the trace events, attached in init_by_lua (where LuaJIT delivers them to a handler)
ATTACH = r'''init_by_lua_block {
    local jutil = require "jit.util"
    EVENTS = {}
    jit.attach(function(what, tr, func, pc, otr, oex)
        local info = func and jutil.funcinfo(func, pc) or {}
        local e = what .. " " .. tostring(tr) .. " " .. tostring(info.source) .. ":" .. tostring(info.currentline)
            .. " " .. tostring(info.linedefined)
        if what == "abort" then e = e .. " " .. tostring(otr) .. " " .. tostring(oex) end
        EVENTS[#EVENTS + 1] = e
    end, "trace")
}'''

TRACE = r'''
local line = '$LINE'
local pattern = [=[$PATTERN]=]
local n, m = 0
for _ = 1, 20000 do
  m = ngx.re.match(line, pattern, "jo")
  if m[6] == "612" then n = n + 1 end
end
ngx.say("n=", n, " ", table.concat(m, "|", 1, 6))
for _, e in ipairs(EVENTS) do ngx.say(e) end
'''


def test_a_jo_match_loop_is_compiled_with_no_abort_in_the_ngx_layer(tcplua):
    _, out = run(tcplua, TRACE.replace("$LINE", LINE).replace("$PATTERN", PATTERN), extra_stream=ATTACH)
    lines = out.splitlines()
    groups = re.match(PATTERN, LINE).groups()
    assert lines[0] == "n=20000 " + "|".join(groups)
    events = lines[1:]
    started = {e.split()[1] for e in events if e.startswith("start ")}
    stopped = {e.split()[1] for e in events if e.startswith("stop ")}
    assert started and started <= stopped, f"a trace was never completed: {events}"
    # LuaJIT errors 8 and 9, "leaving loop in root trace" and "inner loop in root trace": a recording that
    # began on the last pass of the captures loop, or before it (after a side exit, seen once in a dozen runs on
    # a loaded machine), retried at once; anything else (an NYI, a classic C call, blacklisting) is a real abort
    aborts = [e for e in events if e.startswith("abort ") and e.split()[4] not in ("8", "9")]
    assert not aborts, aborts
    # a trace starting inside tcplua's Lua layer (=ngx, =ngx.re) other than at a function's entry or in
    # the fast path's captures loop continues one that a classic C call (the classic path's `exec`) stopped
    stitched = [e for e in events if e.startswith("start ") and e.split()[2].startswith("=ngx")
                and e.split()[2].split(":")[0] != "=ngx"]
    assert not stitched, f"traces stopped by a C call in the ngx layer: {stitched}"


SAME = r'''
local function show(m, err)
  if not m then return "nil " .. tostring(err) end
  local t = {}
  for k = 0, 4 do t[#t + 1] = tostring(m[k]) end
  local names = {}
  for k, v in pairs(m) do if type(k) ~= "number" then names[#names + 1] = k .. "=" .. tostring(v) end end
  table.sort(names)
  return table.concat(t, ",") .. ";" .. table.concat(names, ",")
end
local subj = "a1 b22 c333 d4444"
for _, o in ipairs({"o", "jo", "j"}) do
  local out = {}
  out[#out + 1] = show(ngx.re.match(subj, [[([a-z])(x)?(\d+)]], o))                -- an unset group: false
  out[#out + 1] = show(ngx.re.match(subj, [[zz(\d)]], o))                          -- no match
  local ctx, seen = {pos = 4}, {}
  while true do
    local m = ngx.re.match(subj, [[\d+]], o, ctx)
    if not m then break end
    seen[#seen + 1] = m[0] .. "@" .. ctx.pos
  end
  out[#out + 1] = table.concat(seen, " ")
  out[#out + 1] = show(ngx.re.match(subj, "b", o, {pos = 100}))                    -- past the end
  local res = {stale = true, [7] = "x"}
  local m = ngx.re.match(subj, [[(c)(\d+)]], o, nil, res)
  out[#out + 1] = tostring(m == res) .. " " .. show(m)                             -- res reused, not emptied
  out[#out + 1] = show(ngx.re.match(subj, [[(?<l>[a-z])(?<d>\d\d)]], o))           -- named groups
  out[#out + 1] = show(ngx.re.match(subj, "(", o))                                 -- a bad regex
  out[#out + 1] = show(ngx.re.match(string.rep("a", 25) .. "c", [[^(a|aa)+$]], o)) -- the match limit
  out[#out + 1] = show(ngx.re.match(subj, "B22", o .. "i"))
  out[#out + 1] = tostring(select("#", ngx.re.match(subj, "q", o)))
  ngx.say(table.concat(out, "\n"))
  ngx.say("--")
end
'''


def test_o_matches_return_what_the_classic_path_returns(tcplua):
    _, out = run(tcplua, SAME, extra_stream="lua_regex_match_limit 1000;")
    blocks = out.split("--\n")
    assert len(blocks) == 4 and blocks[3] == ""
    subject = "a1 b22 c333 d4444"
    want = [
        "a1,a,false,1,nil;",
        "nil nil",
        " ".join(f"{m.group(0)}@{m.end() + 1}" for m in re.compile(r"\d+").finditer(subject, 3)),
        "nil pcre_exec() failed: -33",  # PCRE2_ERROR_BADOFFSET, which lua-resty-core returns
        "true c333,c,333,nil,nil;stale=true",  # emptying res is the caller's duty
        "b22,b,22,nil,nil;d=22,l=b",
        'nil pcre2_compile() failed: missing closing parenthesis in "("',
        "nil pcre_exec() failed: -47",
        "b22,nil,nil,nil,nil;",
        "1",  # no match: one nil (lua-resty-core's `return nil`, the C API's lua_pushnil; return 1)
    ]
    for b in blocks[:3]:  # "o" and "jo" (the FFI road) and "j" (the classic path)
        assert b.splitlines() == want
