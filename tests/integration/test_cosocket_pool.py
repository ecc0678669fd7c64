"""Cosocket keepalive pools, the seed's forms (connect with a pool name, positional settimeout, upstream_test),
timeouts from the lua_socket_* directives, and unix-domain sockets."""
import os
import time


from conftest import lua_server, wait_until
from upstream import echo, framed


def request(s, n=1):
    outs = []
    for _ in range(n):
        c = s.connect()
        c.send("x")
        outs.append(c.recv_all().decode())
        c.close()
    return outs


GATE = 'if not ngx.receive(1) then return end\n'


def test_setkeepalive_reuses_one_connection(tcplua, upstream):
    u = upstream(echo)
    s = tcplua(lua_server(GATE + f'''
        local sock = ngx.socket.tcp()
        assert(sock:connect("127.0.0.1", {u.port}))
        local reused = sock:getreusedtimes()
        sock:send("ping")
        local d = sock:receive(4)
        ngx.say(d, " ", reused, " ", sock:setkeepalive())
        ngx.say(sock:send("x"))
    '''))
    outs = request(s, 5)
    assert outs == [f"ping {i} 1\nnilclosed\n" for i in range(5)]
    assert wait_until(lambda: u.accepted == 1, 2.0), u.accepted


def test_pool_name_pool_size_and_lru_overflow(tcplua, upstream):
    u = upstream(echo)
    # Three sockets pooled into a pool of size 2: the oldest idle one is closed; then two reuse, one is new.
    s = tcplua(lua_server(GATE + f'''
        local socks = {{}}
        for i = 1, 3 do
            local sock = ngx.socket.tcp()
            assert(sock:connect("127.0.0.1", {u.port}, {{pool = "p", pool_size = 2}}))
            socks[i] = sock
        end
        for i = 1, 3 do socks[i]:setkeepalive() end
        local r = {{}}
        for i = 1, 3 do
            local sock = ngx.socket.tcp()
            assert(sock:connect("127.0.0.1", {u.port}, "p"))
            r[i] = sock:getreusedtimes()
            socks[i] = sock
        end
        ngx.say(table.concat(r, ","))
    '''))
    assert request(s) == ["1,1,0\n"]
    assert wait_until(lambda: u.accepted == 4, 2.0), u.accepted


def test_dubious_state_and_peer_close_while_pooled(tcplua, upstream):
    def talker(c):
        c.recv(1)
        c.sendall(b"ab")
        time.sleep(0.2)

    def closer(c):
        d = c.recv(1)
        c.sendall(d)
        time.sleep(0.1)  # closes after the client pooled the connection

    u1 = upstream(talker)
    u2 = upstream(closer)
    s = tcplua(lua_server(GATE + f'''
        local sock = ngx.socket.tcp()
        sock:connect("127.0.0.1", {u1.port})
        sock:send("g")
        sock:receive(1)
        ngx.sleep(0.05)
        ngx.say(sock:setkeepalive())
        sock:close()
        sock:connect("127.0.0.1", {u2.port})
        sock:send("g")
        sock:receive(1)
        ngx.say(sock:setkeepalive())
        ngx.sleep(0.4)
        sock:connect("127.0.0.1", {u2.port})
        ngx.say(sock:getreusedtimes())
    '''))
    assert request(s) == ["nilconnection in dubious state\n1\n0\n"]
    assert wait_until(lambda: u2.accepted == 2, 2.0), u2.accepted


def test_keepalive_idle_timeout_closes_pooled(tcplua, upstream):
    u = upstream(echo)
    s = tcplua(lua_server(GATE + f'''
        local sock = ngx.socket.tcp()
        sock:connect("127.0.0.1", {u.port})
        sock:setkeepalive(100)
        ngx.sleep(0.3)
        sock:connect("127.0.0.1", {u.port})
        ngx.say(sock:getreusedtimes())
        sock:setkeepalive(0)
        ngx.sleep(0.3)
        sock:connect("127.0.0.1", {u.port})
        ngx.say(sock:getreusedtimes())
    '''))
    assert request(s) == ["0\n1\n"]
    assert wait_until(lambda: u.accepted == 2, 2.0), u.accepted


SEED_UPSTREAM = '''
    local netutil = require "netutil"
    local data = "hello upstream"
    local req_data = netutil.packint32(netutil.htonl(#data)) .. data
    local upstream_test = function(u)
        local ret, err = u:connect("127.0.0.1", PORT, "127.0.0.1_PORT_1")
        local reuse = u:getreusedtimes()
        ngx.log(ngx.INFO, "connect : " .. tostring(ret) .. " " .. tostring(err) .. " " .. tostring(reuse))
        if not ret then return end
        ret, err = u:send(req_data)
        if not ret then return end
        local data, err = u:receive(4, nil)
        if not data then return end
        local total_len = netutil.unpackint32(string.sub(data, 1, 4))
        local data, err = u:receive(total_len - 4, nil)
        if not data then return end
        if total_len - 4 ~= #data then return end
        ngx.say(data, " ", reuse)
        u:setkeepalive()
    end
'''


def test_seed_upstream_test_framed_with_pool(tcplua, upstream):
    u = upstream(framed)
    code = SEED_UPSTREAM.replace("PORT", str(u.port)) + '''
        while true do
            local req = ngx.receive(1)
            if not req then break end
            upstream_test(ngx.socket.tcp())
            ngx.wait_next_request()
        end
    '''
    s = tcplua(lua_server(code, "read_timeout 5s;"))
    c = s.connect()
    lines = []
    for _ in range(5):
        c.send("r")
        lines.append(c.recv_line())
    assert lines == [f"reply:hello upstream {i}\n" for i in range(5)]
    assert wait_until(lambda: u.accepted == 1, 2.0), u.accepted


def test_seed_positional_settimeout_and_directive_defaults(tcplua, upstream):
    def silent(c):
        c.recv(1)
        time.sleep(2)
    u = upstream(silent)
    s = tcplua(lua_server(GATE + f'''
        local sock = ngx.socket.tcp()
        sock:connect("127.0.0.1", {u.port})
        sock:send("g")
        local t0 = ngx.now()
        ngx.say(sock:receive(1))
        ngx.update_time()
        local a = ngx.now() - t0
        sock:settimeout(5000, 5000, 150)  -- the seed's connect, send, read
        t0 = ngx.now()
        ngx.say(sock:receive(1))
        ngx.update_time()
        local b = ngx.now() - t0
        sock:settimeout(nil, 0, 400)
        t0 = ngx.now()
        sock:receive(1)
        ngx.update_time()
        local c = ngx.now() - t0
        ngx.say(a >= 0.25 and a < 1.2, " ", b >= 0.1 and b < 0.3, " ", c >= 0.35 and c < 1)
    ''', "lua_socket_read_timeout 300ms;"))
    assert request(s) == ["niltimeout\nniltimeout\ntrue true true\n"]


def test_read_timeout_directive_is_the_seed_default(tcplua, upstream):
    def silent(c):
        c.recv(1)
        time.sleep(2)
    u = upstream(silent)
    s = tcplua(lua_server(GATE + f'''
        local sock = ngx.socket.tcp()
        sock:connect("127.0.0.1", {u.port})
        sock:send("g")
        local t0 = ngx.now()
        ngx.say(sock:receive(1))
        ngx.update_time()
        ngx.say(ngx.now() - t0 < 1.5)
    ''', "read_timeout 2500ms; lua_socket_read_timeout 200ms;"))
    assert request(s) == ["niltimeout\ntrue\n"]


def test_log_errors_off(tcplua, upstream):
    def silent(c):
        c.recv(1)
        time.sleep(1)
    u = upstream(silent)
    s = tcplua(lua_server(GATE + f'''
        local sock = ngx.socket.tcp()
        sock:settimeout(100)
        sock:connect("127.0.0.1", {u.port})
        sock:send("g")
        ngx.say(sock:receive(1))
    ''', "lua_socket_log_errors off;"))
    assert request(s) == ["niltimeout\n"]
    assert not s.log_lines("lua tcp socket")


def test_unix_socket(tcplua, upstream, tmp_path):
    path = str(tmp_path / "up.sock")
    upstream(echo, unix_path=path)
    s = tcplua(lua_server(GATE + f'''
        local sock = ngx.socket.tcp()
        ngx.say(sock:connect("unix:{path}"))
        sock:send("over unix\\n")
        ngx.say(sock:receive())
        ngx.say(sock:setkeepalive())
        sock:connect("unix:{path}")
        ngx.say(sock:getreusedtimes())
        ngx.say(sock:connect("unix:{path}.missing"))
    '''))
    assert request(s) == ["1\nover unix\n1\n1\nnilno such file or directory\n"]
