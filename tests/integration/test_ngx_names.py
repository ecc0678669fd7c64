"""The ngx table and its sub-tables hold stream-lua's names (api-survey §2.2), plus the seed's (its README:
receive, wait_next_request, tcp_time, parse_tcp_time, start_time), the http subsystem's http_time and
parse_http_time (api-survey §6, "time names": provide both names) and `tcplua` for tcplua's own: a script's
`if ngx.foo then` feature test behaves as on OpenResty for every other name."""

STREAM_LUA = {
    "OK", "ERROR", "AGAIN", "DONE", "DECLINED", "null",
    "STDERR", "EMERG", "ALERT", "CRIT", "ERR", "WARN", "NOTICE", "INFO", "DEBUG",
    "say", "print", "flush", "eof", "exit", "sleep", "log", "get_phase", "on_abort",
    "req", "socket", "shared", "var", "re", "worker", "config",
    "escape_uri", "unescape_uri", "encode_args", "decode_args", "encode_base64", "decode_base64",
    "crc32_short", "crc32_long", "hmac_sha1", "md5", "md5_bin", "sha1_bin", "quote_sql_str",
    "today", "time", "now", "localtime", "utctime", "update_time", "timer", "thread",
}
SEED = {"receive", "wait_next_request", "tcp_time", "parse_tcp_time", "start_time"}
HTTP_TIME = {"http_time", "parse_http_time"}
SUB = {
    "config": {"subsystem", "debug", "prefix", "nginx_version", "nginx_configure", "ngx_lua_version"},
    "worker": {"exiting", "pid", "pids", "count", "id"},
    "req": {"socket", "start_time"},
    "socket": {"tcp", "udp", "stream", "connect"},
    "re": {"match", "find", "gmatch", "sub", "gsub"},
    "timer": {"at", "every", "running_count", "pending_count"},
    "thread": {"spawn", "wait", "kill"},
}

CODE = r'''
local function keys(t) local o = {} for k in pairs(t) do o[#o + 1] = tostring(k) end return table.concat(o, " ") end
ngx.say(keys(ngx))
for _, n in ipairs({"config", "worker", "req", "socket", "re", "timer", "thread", "tcplua"}) do ngx.say(n, " ", keys(ngx[n])) end
ngx.say(type(ngx.ctx), " ", type(ngx.http_time), " ", type(ngx.tcplua.http_time))
'''


def test_ngx_names_are_stream_luas(tcplua):
    s = tcplua("stream {\n    server {\n        listen 127.0.0.1:$PORT;\n        content_by_lua_block {\n"
               + CODE + "\n        }\n    }\n}\n")
    lines = s.connect().recv_all().decode().splitlines()
    top = set(lines[0].split())
    assert top == STREAM_LUA | SEED | HTTP_TIME | {"tcplua"}, (top - (STREAM_LUA | SEED), STREAM_LUA - top)
    for line in lines[1:8]:
        name, *ks = line.split()
        assert set(ks) == SUB[name], name
    assert set(lines[8].split()[1:]) == {"http_time", "parse_http_time"}
    assert lines[9] == "table function function"
