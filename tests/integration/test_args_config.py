"""ngx.encode_args / decode_args / quote_sql_str, lua-resty-core's ngx.base64 (url variants), the modules
scripts require (resty.core, ngx.re) and ngx.config's functions, checked against Python's urllib and base64."""
import base64
import json
import urllib.parse


def stream(code):
    return ("stream {\n    server {\n        listen 127.0.0.1:$PORT;\n"
            "        content_by_lua_block {\n" + code + "\n        }\n    }\n}\n")


def run(tcplua, code):
    s = tcplua(stream(code))
    return s, s.connect().recv_all().decode().splitlines()


def test_encode_args(tcplua):
    _, out = run(tcplua, r'''
        ngx.say(ngx.encode_args({["b r"] = "hello world/é&="}))
        local parts = {}
        for p in ngx.encode_args({a = 3, flag = true, off = false, multi = {1, "two", true}}):gmatch("[^&]+") do
          parts[#parts + 1] = p
        end
        table.sort(parts)
        ngx.say(table.concat(parts, " "))
        ngx.say(ngx.encode_args({}), "|")
        ngx.say(select(2, pcall(ngx.encode_args, {a = {}})) ~= nil)
        ngx.say(select(2, pcall(ngx.encode_args, "x")))
    ''')
    assert out[0] == "b%20r=" + urllib.parse.quote("hello world/é&=", safe="-._~")
    assert out[1] == "a=3 flag multi multi=1 multi=two"
    assert out[2] == "|"
    assert out[4] == "bad argument #1 to 'encode_args' (table expected, got string)"


def test_decode_args_and_max(tcplua):
    query = "a=1&b=hello%20world&a=2&flag&=skipped&c=x%2By+z&d="
    _, out = run(tcplua, rf'''
        local cjson = require "cjson"
        local t = ngx.decode_args("{query}")
        local keys = {{}}
        for k in pairs(t) do keys[#keys + 1] = k end
        table.sort(keys)
        local o = {{}}
        for _, k in ipairs(keys) do o[#o + 1] = k .. "=" .. cjson.encode(t[k]) end
        ngx.say(table.concat(o, "\t"))
        local n = 0
        for _ in pairs(ngx.decode_args("a=1&b=2&c=3&d=4", 2)) do n = n + 1 end
        local m = 0
        for _ in pairs(ngx.decode_args(string.rep("k=v&", 150) .. "z=1")) do m = m + 1 end
        local u = 0
        for _, v in pairs(ngx.decode_args(string.rep("k=v&", 150) .. "z=1", 0)) do u = u + 1 end
        ngx.say(n, " ", m, " ", #ngx.decode_args(string.rep("k=v&", 150), 0).k)
    ''')
    want = {}
    for piece in query.split("&"):
        k, eq, v = piece.partition("=")
        k = urllib.parse.unquote_plus(k)
        val = urllib.parse.unquote_plus(v) if eq else True
        if k == "":
            continue
        want.setdefault(k, []).append(val)
    got = dict(kv.split("=", 1) for kv in out[0].split("\t"))
    assert {k: json.loads(v) for k, v in got.items()} == {k: v[0] if len(v) == 1 else v for k, v in want.items()}
    assert out[1] == "2 1 150"  # the default max_args (100) stops before z


def test_quote_sql_str(tcplua):
    _, out = run(tcplua, r'''
        ngx.say(ngx.quote_sql_str("it's \"q\" \\ \0 \n \r \t \26 \b ok"))
        ngx.say(ngx.quote_sql_str(12))
    ''')
    assert out == ["'it\\'s \\\"q\\\" \\\\ \\0 \\n \\r \\t \\Z \\b ok'", "'12'"]


def test_base64url_module(tcplua):
    data = bytes(range(256)) + b"hello?>"
    lua_bytes = "".join(f"\\{b}" for b in data)
    _, out = run(tcplua, rf'''
        local b64 = require "ngx.base64"
        local s = "{lua_bytes}"
        local e = b64.encode_base64url(s)
        ngx.say(e)
        ngx.say(b64.decode_base64url(e) == s, " ", tostring(b64.decode_base64url("a+b/")),
                " ", select(2, b64.decode_base64url("a+b/")))
        ngx.say(select(2, pcall(b64.encode_base64url, 1)))
    ''')
    assert out[0] == base64.urlsafe_b64encode(data).decode().rstrip("=")
    assert out[1] == "true nil invalid input"
    assert out[2].endswith(": string argument only")  # error(msg, 2), as lua-resty-core raises it


def test_required_modules_and_config(tcplua):
    s, out = run(tcplua, r'''
        require "resty.core"
        local base = require "resty.core.base"
        local ngx_re = require "ngx.re"
        ngx.say(type(base.new_tab), " ", type(ngx_re.split), " ", type(ngx_re.opt))
        local parts = ngx_re.split("a,b,,c", ",")
        ngx.say(#parts, " ", table.concat(parts, "|"))
        ngx.say(table.concat(ngx_re.split("a1b22c", [[\d+]]), "|"), " ", table.concat(ngx_re.split("a,b,c", ",", nil, nil, 2), "|"))
        ngx.say(ngx.config.prefix(), " ", type(ngx.config.nginx_configure()), " ", ngx.config.subsystem, " ",
                tostring(ngx.config.debug))
    ''')
    assert len(out) == 4, s.error_log()
    assert out[0] == "function function function"
    assert out[1] == "4 a|b||c"
    assert out[2] == "a|b|c a|b,c"
    assert out[3] == f"{s.prefix}/ string stream false"
