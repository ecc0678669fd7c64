"""Debian's Lua cosocket clients, unmodified (fetched into .deps/lua by `make test`), against real servers
from Debian started once per test run on free loopback ports: redis-server, memcached, and dnsmasq serving
a zone from a file the test writes. Also ngx.socket.udp against a datagram echo."""
import pathlib
import shutil
import socket
import struct
import subprocess
import threading
import time

import pytest

from conftest import ROOT, lua_server, request
from upstream import free_port

LUA_DEPS = ROOT / ".deps" / "lua"


def need(binary):
    path = shutil.which(binary) or (f"/usr/sbin/{binary}" if pathlib.Path(f"/usr/sbin/{binary}").exists() else None)
    assert path, f"{binary} is missing: `make test` installs it"
    return path


def wait_port(port, proto=socket.SOCK_STREAM, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"nothing listens on {port}")


@pytest.fixture(scope="session")
def libs():
    for f in ("nginx/redis.lua", "nginx/memcached.lua", "nginx/dns/resolver.lua"):
        assert (LUA_DEPS / f).exists(), f"{LUA_DEPS / f} is missing: `make test` (lua-deps) fetches it"
    return f"lua_package_path '{LUA_DEPS}/?.lua;;';"


@pytest.fixture(scope="session")
def redis():
    port = free_port()
    p = subprocess.Popen([need("redis-server"), "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                          "--appendonly", "no", "--daemonize", "no"], stdout=subprocess.DEVNULL)
    wait_port(port)
    yield port
    p.terminate()
    p.wait(10)


@pytest.fixture(scope="session")
def memcached():
    port = free_port()
    p = subprocess.Popen([need("memcached"), "-l", "127.0.0.1", "-p", str(port), "-U", "0", "-u", "root"])
    wait_port(port)
    yield port
    p.terminate()
    p.wait(10)


@pytest.fixture(scope="session")
def dnsmasq(tmp_path_factory):
    d = tmp_path_factory.mktemp("dns")
    hosts = d / "zone.hosts"
    hosts.write_text("127.0.0.7 www.tcplua.test\n::1 www.tcplua.test\n127.0.0.8 two.tcplua.test\n")
    # Started until it answers: the port free_port found free for TCP may be taken for UDP, or taken by the
    # time dnsmasq binds it (it then exits, possibly after a fixed sleep would have looked).
    for _ in range(5):
        port = free_port()
        p = subprocess.Popen([need("dnsmasq"), "--no-daemon", "--conf-file=/dev/null", f"--port={port}",
                              "--listen-address=127.0.0.1", "--bind-interfaces", "--no-resolv", "--no-hosts",
                              f"--addn-hosts={hosts}", "--user=root", f"--pid-file={d / 'pid'}",
                              "--local=/tcplua.test/"], stderr=subprocess.DEVNULL)
        if answers(port, p):
            break
        p.kill()
        p.wait(10)
    else:
        pytest.fail("dnsmasq did not start")
    yield port
    p.terminate()
    p.wait(10)


def answers(port, p, seconds=10):
    """Whether the DNS server on `port` answers a query for www.tcplua.test within `seconds` (while `p` runs)."""
    query = struct.pack(">HHHHHH", 0x7463, 0x0100, 1, 0, 0, 0) + b"".join(
        bytes([len(label)]) + label for label in b"www.tcplua.test".split(b".")) + b"\0" + struct.pack(">HH", 1, 1)
    deadline = time.monotonic() + seconds
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
        u.settimeout(0.2)
        while time.monotonic() < deadline and p.poll() is None:
            try:
                u.sendto(query, ("127.0.0.1", port))
                if u.recv(512)[:2] == query[:2]:
                    return True
            except OSError:  # refused (not bound yet) or timed out
                time.sleep(0.05)
    return False


GATE = 'if not ngx.receive(1) then return end\n'


def test_redis_pipeline_null_and_keepalive(tcplua, libs, redis):
    s = tcplua(lua_server(GATE + f'''
        local redis = require "nginx.redis"
        local red = redis:new()
        red:set_timeout(2000)
        assert(red:connect("127.0.0.1", {redis}))
        ngx.say("reused ", red:get_reused_times())
        assert(red:set("tcplua:k", "v1"))
        ngx.say("get ", red:get("tcplua:k"))
        ngx.say("missing is null ", red:get("tcplua:missing") == ngx.null)
        red:init_pipeline()
        red:set("tcplua:a", 1)
        red:incr("tcplua:a")
        red:get("tcplua:a")
        red:del("tcplua:a")
        local res, err = red:commit_pipeline()
        ngx.say("pipeline ", table.concat(res, ","))
        ngx.say("keepalive ", red:set_keepalive(10000, 10))
    ''', extra_tcp=libs))
    first = request(s)
    assert first == "reused 0\nget v1\nmissing is null true\npipeline OK,2,2,1\nkeepalive 1\n"
    second = request(s)
    assert second.startswith("reused 1\n"), second


def test_memcached_set_get_keepalive(tcplua, libs, memcached):
    s = tcplua(lua_server(GATE + f'''
        local memcached = require "nginx.memcached"
        local memc = memcached:new()
        memc:set_timeout(2000)
        assert(memc:connect("127.0.0.1", {memcached}))
        ngx.say("reused ", memc:get_reused_times())
        ngx.say("set ", memc:set("tcplua key", "hello", 60))
        local v, flags = memc:get("tcplua key")
        ngx.say("get ", v, " ", flags)
        ngx.say("miss ", tostring(memc:get("tcplua nope")))
        ngx.say("keepalive ", memc:set_keepalive(10000, 10))
    ''', extra_tcp=libs))
    assert request(s) == "reused 0\nset 1\nget hello 0\nmiss nil\nkeepalive 1\n"
    assert request(s).startswith("reused 1\n")


def test_dns_a_and_aaaa_against_dnsmasq(tcplua, libs, dnsmasq):
    s = tcplua(lua_server(GATE + f'''
        local resolver = require "nginx.dns.resolver"
        local r, err = resolver:new{{ nameservers = {{ {{"127.0.0.1", {dnsmasq}}} }}, retrans = 2, timeout = 2000 }}
        assert(r, err)
        for _, q in ipairs({{ {{"www.tcplua.test", r.TYPE_A}}, {{"www.tcplua.test", r.TYPE_AAAA}},
                             {{"none.tcplua.test", r.TYPE_A}} }}) do
            local answers, err = r:query(q[1], {{ qtype = q[2] }})
            if not answers then ngx.say("error ", err)
            elseif answers.errcode then ngx.say("errcode ", answers.errcode, " ", answers.errstr)
            else
                for _, a in ipairs(answers) do ngx.say(a.name, " ", a.type, " ", a.address) end
            end
        end
    ''', extra_tcp=libs))
    assert request(s) == ("www.tcplua.test 1 127.0.0.7\nwww.tcplua.test 28 0:0:0:0:0:0:0:1\n"
                          "errcode 3 name error\n")


def test_resolver_directive_against_dnsmasq(tcplua, dnsmasq):
    srv = socket.socket()
    srv.bind(("127.0.0.8", 0))
    srv.listen(4)
    port = srv.getsockname()[1]

    def serve():
        c, _ = srv.accept()
        c.sendall(b"hello from two\n")
        c.close()
    threading.Thread(target=serve, daemon=True).start()
    s = tcplua(lua_server(GATE + f'''
        local sock = ngx.socket.tcp()
        assert(sock:connect("two.tcplua.test", {port}))
        ngx.say(sock:receive())
        ngx.say(select(2, sock:connect("nx.tcplua.test", {port})))
    ''', f"resolver 127.0.0.1:{dnsmasq};"))
    assert request(s) == "hello from two\nnx.tcplua.test could not be resolved (3: Host not found)\n"
    srv.close()


def test_udp_socket_echo_and_timeout(tcplua):
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind(("127.0.0.1", 0))
    port = u.getsockname()[1]

    def serve():
        while True:
            try:
                d, a = u.recvfrom(65536)
            except OSError:
                return
            if d != b"quiet":
                u.sendto(b"echo:" + d, a)
    threading.Thread(target=serve, daemon=True).start()
    dead = free_port()
    s = tcplua(lua_server(GATE + f'''
        local sock = ngx.socket.udp()
        ngx.say(sock:setpeername("127.0.0.1", {port}))
        sock:settimeout(200)
        ngx.say(sock:send({{"da", "ta"}}))
        ngx.say(sock:receive())
        sock:send("quiet")
        ngx.say(sock:receive())
        sock:send("again")
        ngx.say(sock:receive(7))
        ngx.say(sock:close())
        ngx.say(sock:send("x"))
        local dead = ngx.socket.udp()
        dead:setpeername("127.0.0.1", {dead})
        dead:send("x")
        ngx.say(dead:receive())
    '''))
    assert request(s) == "1\n1\necho:data\nniltimeout\necho:ag\n1\nnilclosed\nnilconnection refused\n"
    u.close()
