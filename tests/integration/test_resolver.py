"""Host names in cosocket connects through the `resolver` directive: a fake DNS server on loopback that
answers, refuses, times out or sends garbage; the cache; several servers in turn; the seed's error strings."""
import socket
import time

import pytest

from conftest import Client, lua_server, request, wait_until
from upstream import FakeDNS, Upstream, echo, free_port, fd_count


@pytest.fixture
def dns():
    made = []

    def make(zone, mode="ok", ttl=60):
        d = FakeDNS(zone, mode, ttl)
        made.append(d)
        return d

    yield make
    for d in made:
        d.stop()


@pytest.fixture
def up():
    u = Upstream(echo)
    yield u
    u.stop()


GATE = 'if not ngx.receive(1) then return end\n'


def ipv6_listener():
    """A listening socket on ::1 and its port (the test is skipped without IPv6 loopback)."""
    srv = socket.socket(socket.AF_INET6)
    try:
        srv.bind(("::1", 0))
    except OSError:
        srv.close()
        pytest.skip("no IPv6 loopback")
    srv.listen(4)
    return srv, srv.getsockname()[1]


def connect_code(name, port):
    return GATE + f'''
        local sock = ngx.socket.tcp()
        local ok, err = sock:connect("{name}", {port})
        if not ok then ngx.say(err) return end
        sock:send("hi")
        ngx.say(sock:receive(2))
    '''


def test_resolves_and_caches(tcplua, dns, up):
    d = dns({"up.test": ["127.0.0.1"]})
    s = tcplua(lua_server(connect_code("up.test", up.port), f"resolver 127.0.0.1:{d.port}; resolver_timeout 2s;"))
    assert request(s) == "hi\n"
    assert request(s) == "hi\n"
    assert d.queries == [("up.test", 1)]  # the second connect used the cache


def test_ttl_expiry_and_valid_override(tcplua, dns, up):
    d = dns({"up.test": ["127.0.0.1"]}, ttl=1)
    s = tcplua(lua_server(connect_code("up.test", up.port), f"resolver 127.0.0.1:{d.port};"))
    assert request(s) == "hi\n"
    time.sleep(1.2)
    assert request(s) == "hi\n"
    assert len(d.queries) == 2
    d2 = dns({"up.test": ["127.0.0.1"]}, ttl=1)
    s2 = tcplua(lua_server(connect_code("up.test", up.port), f"resolver 127.0.0.1:{d2.port} valid=30s;"))
    assert request(s2) == "hi\n"
    time.sleep(1.2)
    assert request(s2) == "hi\n"
    assert len(d2.queries) == 1


def test_ipv6_answer_when_no_a_record(tcplua, dns):
    import threading
    srv, port = ipv6_listener()

    def serve():
        c, _ = srv.accept()
        echo(c)
    threading.Thread(target=serve, daemon=True).start()
    d = dns({"six.test": ["::1"]})
    s = tcplua(lua_server(connect_code("six.test", port), f"resolver 127.0.0.1:{d.port};"))
    assert request(s) == "hi\n"
    assert d.queries == [("six.test", 1), ("six.test", 28)]
    srv.close()


def test_nxdomain(tcplua, dns):
    d = dns({})
    s = tcplua(lua_server(connect_code("nope.test", 9), f"resolver 127.0.0.1:{d.port};"))
    assert request(s) == "nope.test could not be resolved (3: Host not found)\n"
    assert s.log_lines(r"\[error\].*nope.test could not be resolved \(3: Host not found\)")


@pytest.mark.parametrize("mode", ["silent", "garbage", "wrong-id"])
def test_bad_servers_time_out(tcplua, dns, mode):
    d = dns({"up.test": ["127.0.0.1"]}, mode=mode)
    s = tcplua(lua_server(connect_code("up.test", 9), f"resolver 127.0.0.1:{d.port}; resolver_timeout 300ms;"))
    t0 = time.time()
    assert request(s) == "up.test could not be resolved (110: Operation timed out)\n"
    assert 0.25 < time.time() - t0 < 3


def test_several_servers_in_turn(tcplua, dns, up):
    down = free_port()  # nothing listens: the kernel refuses
    silent = dns({}, mode="silent")
    good = dns({"up.test": ["127.0.0.1"]})
    s = tcplua(lua_server(connect_code("up.test", up.port),
                          f"resolver 127.0.0.1:{down} 127.0.0.1:{silent.port} 127.0.0.1:{good.port}; resolver_timeout 900ms;"))
    t0 = time.time()
    assert request(s) == "hi\n"
    assert time.time() - t0 < 2
    assert silent.queries and good.queries


def test_no_resolver_and_localhost(tcplua, up):
    s = tcplua(lua_server(GATE + f'''
        local sock = ngx.socket.tcp()
        ngx.say(sock:connect("abcd.example", 80))
        ngx.say(sock:send("x"))
        ngx.say(sock:close())
        ngx.say(sock:connect("localhost", {up.port}))
    '''))
    assert request(s) == 'nilno resolver defined to resolve "abcd.example"\nnilclosed\nnilclosed\n1\n'


def test_failed_lookups_leak_no_descriptor(tcplua, dns):
    d = dns({}, mode="ok")
    s = tcplua(lua_server(GATE + '''
        for i = 1, 300 do
            local sock = ngx.socket.tcp()
            local ok, err = sock:connect("n" .. i .. ".test", 9)
            assert(not ok and err:find("Host not found"), err)
        end
        ngx.say("done")
    ''', f"resolver 127.0.0.1:{d.port};"))
    request(s)
    before = fd_count(s.proc.pid)
    assert request(s) == "done\n"
    assert fd_count(s.proc.pid) <= before


def test_udp_setpeername_resolves_host_names(tcplua, dns):
    import socket as pysock
    import threading
    u = pysock.socket(pysock.AF_INET, pysock.SOCK_DGRAM)
    u.bind(("127.0.0.1", 0))
    port = u.getsockname()[1]

    def serve():
        while True:
            try:
                data, addr = u.recvfrom(4096)
            except OSError:
                return
            u.sendto(b"udp:" + data, addr)
    threading.Thread(target=serve, daemon=True).start()
    d = dns({"dgram.test": ["127.0.0.1"]})
    s = tcplua(lua_server(GATE + f'''
        local sock = ngx.socket.udp()
        sock:settimeout(2000)
        ngx.say(sock:setpeername("dgram.test", {port}))
        ngx.say(sock:send("ping"))
        ngx.say(sock:receive())
        ngx.say(sock:setpeername("DGRAM.test", {port}))   -- from the cache
        ngx.say(sock:setpeername("nope.test", {port}))
        ngx.say(sock:send("x"))
    ''', f"resolver 127.0.0.1:{d.port};"))
    assert request(s) == ("1\n1\nudp:ping\n1\n"
                          "nilnope.test could not be resolved (3: Host not found)\nnilclosed\n")
    assert d.queries == [("dgram.test", 1), ("nope.test", 1)]
    s2 = tcplua(lua_server(GATE + f'''
        ngx.say(ngx.socket.udp():setpeername("dgram.test", {port}))
    '''))
    assert request(s2) == 'nilno resolver defined to resolve "dgram.test"\n'
    u.close()


def test_cache_is_keyed_by_name_and_families(tcplua, dns):
    """A server with `ipv6=off` is not handed the AAAA answer another server's lookup cached."""
    srv, port = ipv6_listener()
    d = dns({"six.test": ["::1"]})
    code = GATE + f'''
        local sock = ngx.socket.tcp()
        ngx.say(sock:connect("six.test", {port}))
    '''
    other = free_port()
    conf = lua_server(code, f"resolver 127.0.0.1:{d.port};") .replace(
        "tcp {\n", "tcp {\n    server {\n        listen 127.0.0.1:%d;\n        resolver 127.0.0.1:%d ipv6=off;\n"
        "        process_by_lua_block {\n%s\n        }\n    }\n" % (other, d.port, code), 1)
    s = tcplua(conf)
    assert request(s) == "1\n"
    c = Client(other)
    c.send("x")
    assert c.recv_all() == b"nilsix.test could not be resolved (3: Host not found)\n"
    assert d.queries == [("six.test", 1), ("six.test", 28), ("six.test", 1)]
    srv.close()
