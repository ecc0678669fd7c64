"""The Lua environment: init_by_lua*, per-session globals, lua_package_path, lua_code_cache, built-in modules."""
import time

from conftest import lua_file_server, lua_server


def test_init_by_lua_block_globals_visible_to_handlers(tcplua):
    s = tcplua(lua_server('ngx.say(greeting, " ", type(T0))',
                          extra_tcp='init_by_lua_block { greeting = "hi" T0 = ngx.time() }'))
    assert s.connect().recv_all() == b"hi number\n"


def test_init_by_lua_string(tcplua):
    s = tcplua(lua_server('ngx.say(answer)', extra_tcp="init_by_lua 'answer = 6 * 7';"))
    assert s.connect().recv_all() == b"42\n"


def test_init_by_lua_file(tcplua):
    s = tcplua(lua_server('ngx.say(shared_table.name, shared_table.n)', extra_tcp="init_by_lua_file 'conf/init.lua';"),
               files={"conf/init.lua": 'shared_table = {name = "init-file", n = 7}\n'})
    assert s.connect().recv_all() == b"init-file7\n"


ISOLATION = r'''
local d = ngx.receive(1)
if d == "s" then
    leaked = "yes"
    greeting = "changed"
end
ngx.say(tostring(leaked), " ", greeting)
'''


def test_session_globals_do_not_leak(tcplua):
    s = tcplua(lua_server(ISOLATION, extra_tcp='init_by_lua_block { greeting = "hi" }'))
    a = s.connect()
    a.send("s")
    assert a.recv_all() == b"yes changed\n"
    b = s.connect()
    b.send("g")
    assert b.recv_all() == b"nil hi\n"


MODULES = r'''
local cjson = require "cjson"
local safe = require "cjson.safe"
local bit = require "bit"
local ffi = require "ffi"
ngx.say(cjson.encode({a = 1}), " ", cjson.decode("[1,2,3]")[2], " ", cjson.encode({"x", true}))
local v, err = safe.decode("{bad")
ngx.say(tostring(v), " ", type(err))
ngx.say(bit.band(0xff, 0x0f), " ", bit.bxor(5, 3), " ", bit.lshift(1, 4), " ", bit.tohex(255, 4))
ngx.say(ffi.sizeof("int32_t"), " ", tonumber(ffi.new("uint16_t", 65535)))
local ok = pcall(cjson.decode, "{bad")
ngx.say(tostring(ok))
'''


def test_builtin_modules(tcplua):
    s = tcplua(lua_server(MODULES))
    assert s.connect().recv_all().decode().splitlines() == [
        '{"a":1} 2 ["x",true]',
        "nil string",
        "15 6 16 00ff",
        "4 65535",
        "false",
    ]


NETUTIL = r'''
local netutil = require "netutil"
ngx.print(netutil.packint32(258), netutil.packint16(258), netutil.packint32(netutil.htonl(22)))
ngx.say("|", netutil.unpackint32("\0\0\1\2"), " ", netutil.unpackint16("\1\2"), " ",
        netutil.unpackint32("\1\2\3\4rest"), " ", netutil.unpackint32(netutil.packint32(4000000000)))
ngx.say(netutil.htonl(0x01020304), " ", netutil.ntohl(258), " ", netutil.htons(258), " ", netutil.ntohs(513))
'''


def test_netutil_is_big_endian_and_byte_order_helpers_are_identity(tcplua):
    s = tcplua(lua_server(NETUTIL))
    assert s.connect().recv_all() == (
        b"\x00\x00\x01\x02" + b"\x01\x02" + b"\x00\x00\x00\x16"
        + b"|258 258 16909060 4000000000\n"
        + b"16909060 258 258 513\n")


def test_netutil_global_from_init_like_the_seed(tcplua):
    s = tcplua(lua_server('ngx.print(netutil.packint32(netutil.htonl(5)), "hello")',
                          extra_tcp='init_by_lua_block { netutil = require "netutil" }'))
    assert s.connect().recv_all() == b"\x00\x00\x00\x05hello"


def test_package_path_user_module_and_default_path(tcplua):
    s = tcplua(lua_server('local m = require "mymod" local u = require "cjson.util" ngx.say(m.hello(), " ", type(u))',
                          extra_tcp="lua_package_path '$PREFIX/lua/?.lua;;';"),
               files={"lua/mymod.lua": 'return { hello = function() return "from mymod" end }\n'})
    assert s.connect().recv_all() == b"from mymod table\n"


def test_prefix_variable_in_package_paths(tcplua):
    s = tcplua(lua_server('local a, b = require "mymod", require "other" ngx.say(a.hello(), " ", b)\n'
                          'ngx.say(package.path) ngx.say(package.cpath)',
                          extra_tcp="lua_package_path '$prefix/lua/?.lua;${prefix}mods/?.lua;;';\n"
                                    "lua_package_cpath '${prefix}lib/?.so;;';"),
               files={"lua/mymod.lua": 'return { hello = function() return "from mymod" end }\n',
                      "mods/other.lua": 'return "other"\n'})
    lines = s.connect().recv_all().decode().splitlines()
    prefix = str(s.prefix) + "/"
    assert lines[0] == "from mymod other"
    assert lines[1].startswith(f"{prefix}/lua/?.lua;{prefix}mods/?.lua;"), lines[1]
    assert lines[2].startswith(f"{prefix}lib/?.so;"), lines[2]


def test_user_netutil_wins_over_builtin(tcplua):
    s = tcplua(lua_server('local n = require "netutil" ngx.say(tostring(n.mine), " ", n.packint32(1))',
                          extra_tcp="lua_package_path '$PREFIX/lua/?.lua;;';"),
               files={"lua/netutil.lua": 'return { mine = true, packint32 = function() return "user" end }\n'})
    assert s.connect().recv_all() == b"true user\n"


def test_module_state_is_shared_across_sessions(tcplua):
    s = tcplua(lua_server('if ngx.receive(1) then local c = require "counter" ngx.say(c.inc()) end',
                          extra_tcp="lua_package_path '$PREFIX/lua/?.lua;;';"),
               files={"lua/counter.lua": 'local M = {n = 0}\nfunction M.inc() M.n = M.n + 1 return M.n end\nreturn M\n'})
    replies = []
    for _ in range(3):
        c = s.connect()
        c.send("x")  # the harness's readiness probe sends nothing and so does not count
        replies.append(c.recv_all())
    assert replies == [b"1\n", b"2\n", b"3\n"]


def _edit_between_connections(s):
    first = s.connect().recv_all()
    path = s.prefix / "conf" / "h.lua"
    path.write_text('ngx.say("v2")\n')
    time.sleep(0.05)
    return first, s.connect().recv_all()


def test_code_cache_off_at_server_level_reloads_file(tcplua):
    s = tcplua(lua_file_server("conf/h.lua", extra_server="lua_code_cache off;"), files={"conf/h.lua": 'ngx.say("v1")\n'})
    assert _edit_between_connections(s) == (b"v1\n", b"v2\n")


def test_code_cache_off_at_tcp_level_reloads_file(tcplua):
    s = tcplua(lua_file_server("conf/h.lua", extra_tcp="lua_code_cache off;"), files={"conf/h.lua": 'ngx.say("v1")\n'})
    assert _edit_between_connections(s) == (b"v1\n", b"v2\n")


def test_code_cache_on_by_default_keeps_first_version(tcplua):
    s = tcplua(lua_file_server("conf/h.lua"), files={"conf/h.lua": 'ngx.say("v1")\n'})
    assert _edit_between_connections(s) == (b"v1\n", b"v1\n")


def test_code_cache_on_explicit(tcplua):
    s = tcplua(lua_file_server("conf/h.lua", extra_server="lua_code_cache on;"), files={"conf/h.lua": 'ngx.say("v1")\n'})
    assert _edit_between_connections(s) == (b"v1\n", b"v1\n")


def test_failing_init_by_lua_stops_startup(make_server):
    s = make_server(lua_server('ngx.say("x")', extra_tcp='init_by_lua_block { error("init failed here") }'))
    r = s.run(timeout=10)
    assert r.returncode == 1
    assert "init failed here" in r.stderr + s.error_log()


def test_init_by_lua_syntax_error_stops_startup(make_server):
    s = make_server(lua_server('ngx.say("x")', extra_tcp="init_by_lua 'x = = 1';"))
    r = s.run(timeout=10)
    assert r.returncode == 1
    assert "unexpected symbol near '='" in r.stderr + s.error_log()
