"""More of Debian's Lua libraries, unmodified (fetched into .deps/lua by `make test`): lua-resty-lrucache
(`resty.lrucache` and `resty.lrucache.pureffi`) in a handler, and lua-nginx-websocket's client
(`nginx.websocket.client`) against a python3-websockets echo server (Debian's, run by /usr/bin/python3)
started by the test over ws://."""
import pathlib
import subprocess
import sys
import time

import pytest

from conftest import ROOT, lua_server, request
from upstream import free_port

LUA_DEPS = ROOT / ".deps" / "lua"
GATE = 'if not ngx.receive(1) then return end\n'


@pytest.fixture(scope="module")
def libs():
    for f in ("resty/lrucache.lua", "resty/lrucache/pureffi.lua", "nginx/websocket/client.lua"):
        assert (LUA_DEPS / f).exists(), f"{LUA_DEPS / f} is missing: `make test` (lua-deps) fetches it"
    return f"lua_package_path '{LUA_DEPS}/?.lua;;';"


LRU = '''
    local lrucache = require "{module}"
    local c = assert(lrucache.new(3))
    c:set("a", 1)
    c:set("b", {{ n = 2 }})
    c:set("short", "s", 0.1)
    ngx.say("get ", c:get("a"), " ", c:get("b").n, " ", c:get("short"), " missing ", tostring(c:get("zz")))
    ngx.update_time()
    ngx.sleep(0.25)
    local v, stale = c:get("short")
    ngx.say("expired ", tostring(v), " stale ", tostring(stale))
    c:delete("b")
    ngx.say("deleted ", tostring(c:get("b")))
    c:set("c", 3)       -- full: c, short (expired, kept stale), a
    c:get("a")          -- a is now the most recently used
    c:set("d", 4)       -- evicts the least recently used: short
    c:set("e", 5)       -- then c
    local keys = {{}}
    for _, k in ipairs({{ "a", "b", "c", "d", "e", "short" }}) do
        keys[#keys + 1] = k .. "=" .. tostring(c:get(k))
    end
    ngx.say("after eviction ", table.concat(keys, " "))
    for i = 1, 1000 do c:set("k" .. i, i) end
    ngx.say("last ", c:get("k1000"), " ", c:get("k999"), " ", c:get("k998"), " ", tostring(c:get("k997")))
'''


@pytest.mark.parametrize("module", ["resty.lrucache", "resty.lrucache.pureffi"])
def test_lrucache_set_get_delete_ttl_eviction(tcplua, libs, module):
    s = tcplua(lua_server(GATE + LRU.format(module=module), extra_tcp=libs))
    assert request(s) == (
        "get 1 2 s missing nil\n"
        "expired nil stale s\n"
        "deleted nil\n"
        "after eviction a=1 b=nil c=nil d=4 e=5 short=nil\n"
        "last 1000 999 998 nil\n"
    )


ECHO_SERVER = r'''
import asyncio, sys, websockets
async def echo(ws, path=None):
    async for msg in ws:
        if msg == "bye":
            await ws.close(1000, "done")
            return
        await ws.send(b"bin:" + msg if isinstance(msg, bytes) else "text:" + msg)
async def main():
    async with websockets.serve(echo, "127.0.0.1", int(sys.argv[1]), compression=None):
        print("ready", flush=True)
        await asyncio.Future()
asyncio.run(main())
'''


@pytest.fixture(scope="module")
def ws_echo():
    python = "/usr/bin/python3"
    check = subprocess.run([python, "-c", "import websockets"], capture_output=True)
    assert check.returncode == 0, "python3-websockets is missing: `make test` (TEST_PACKAGES) installs it"
    port = free_port()
    p = subprocess.Popen([python, "-c", ECHO_SERVER, str(port)], stdout=subprocess.PIPE)
    assert p.stdout.readline().strip() == b"ready"
    yield port
    p.terminate()
    p.wait(10)


def test_websocket_client_against_python_websockets(tcplua, libs, ws_echo):
    s = tcplua(lua_server(GATE + f'''
        local client = require "nginx.websocket.client"
        local wb, err = client:new{{ timeout = 2000, max_payload_len = 1048576 }}
        assert(wb, err)
        local ok, err = wb:connect("ws://127.0.0.1:{ws_echo}/echo")
        ngx.say("connect ", tostring(ok), " ", tostring(err))
        ngx.say("send ", (wb:send_text("hello")))
        local data, typ = wb:recv_frame()
        ngx.say(typ, " ", data)
        local big = string.rep("0123456789", 7000)
        wb:send_binary(big)
        data, typ = wb:recv_frame()
        ngx.say(typ, " ", #data, " ", data == "bin:" .. big)
        wb:send_ping("p1")
        data, typ = wb:recv_frame()
        ngx.say(typ, " ", data)
        wb:send_text("bye")
        local data, typ, code = wb:recv_frame()
        ngx.say(typ, " ", data, " ", code)
        ngx.say("close ", tostring(wb:close()))
    ''', extra_tcp=libs))
    out = request(s)
    assert out == (
        "connect 1 nil\n"
        "send 11\n"
        "text text:hello\n"
        "binary 70004 true\n"
        "pong p1\n"
        "close done 1000\n"
        "close 1\n"
    ), s.error_log()
