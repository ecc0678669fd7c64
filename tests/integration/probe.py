"""The black-box parity probes' harness (test_api_parity*.py): a `stream {}` server whose handler takes one byte
from the client, then runs a probe script that prints what calls return with `show(...)`, one line per call:
`n=<count>` and each value (strings quoted with %q; with `tables`, tables as their sorted key=value pairs)."""

SHOW = ("local function show(...) local t = {'n=' .. select('#', ...)} for i = 1, select('#', ...) do "
        "local v = (select(i, ...)) t[#t + 1] = type(v) == 'string' and ('%q'):format(v) or tostring(v) end "
        "ngx.say(table.concat(t, ' ')) end\n")

SHOW_TABLES = ("local function fmt(v, d) d = d or 0 if type(v) == 'string' then return ('%q'):format(v) end "
               "if type(v) == 'table' and d < 2 then local ks = {} for k in pairs(v) do ks[#ks + 1] = k end "
               "table.sort(ks, function(a, b) return tostring(a) < tostring(b) end) local p = {} "
               "for _, k in ipairs(ks) do p[#p + 1] = tostring(k) .. '=' .. fmt(v[k], d + 1) end "
               "return '{' .. table.concat(p, ',') .. '}' end return tostring(v) end\n"
               "local function show(...) local t = {'n=' .. select('#', ...)} for i = 1, select('#', ...) do "
               "t[#t + 1] = fmt((select(i, ...))) end ngx.say(table.concat(t, ' ')) end\n")


def stream(code, extra="", show=SHOW):
    """The config: `extra` directives in `stream {}`, then the server running `code` after `show`."""
    return ("stream {\n" + extra + "    server {\n        listen 127.0.0.1:$PORT;\n        content_by_lua_block {\n"
            "local sk = ngx.req.socket() if not sk:receive(1) then return end\n" + show + code
            + "\n        }\n    }\n}\n")


def probe(tcplua, code, data=b"", extra="", show=SHOW, server=False):
    """Runs `code` on a fresh server, sending one byte and `data`; returns the lines it printed (and the server
    with `server`)."""
    s = tcplua(stream(code, extra, show))
    c = s.connect(timeout=10)
    c.send(b"x" + data)
    out = c.recv_all().decode(errors="replace")
    c.close()
    return (out.splitlines(), s) if server else out.splitlines()
