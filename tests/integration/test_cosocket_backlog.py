"""connect(host, port, {pool=, pool_size=, backlog=}): OpenResty's backlog queue. With `backlog`, pool_size caps
the pool's connections (held and idle); further connects wait in a queue of at most `backlog`, woken when a
connection of the pool is put back or closed; beyond it "too many waiting connect operations"; a queued
connect gives up after the connect timeout with "timeout"."""
import time

from conftest import lua_server
from upstream import echo

def script(port):
    return f'''
    local role = ngx.receive(1)
    if not role then return end
    local function c(timeout)
        local s = ngx.socket.tcp()
        s:settimeout(timeout)
        local ok, err = s:connect("127.0.0.1", {port}, {{ pool = "p", pool_size = 2, backlog = 1 }})
        return s, ok, err
    end
    if role == "A" then          -- holds the pool's two connections until told
        local s1, ok1 = c(1000)
        local s2, ok2 = c(1000)
        ngx.say("A ", ok1, " ", ok2)
        ngx.receive(1)
        ngx.say("keepalive ", s1:setkeepalive())
        ngx.receive(1)
        ngx.say("close ", s2:close())
        ngx.receive(1)
    else                         -- one connect, then its result; holds the socket until told
        local s, ok, err = c(role == "T" and 300 or 5000)
        local reused = ok and s:getreusedtimes() or "-"
        ngx.say(role, " ", tostring(ok), " ", tostring(err), " reused ", reused)
        if ok then
            s:send("ping")
            ngx.say(role, " echo ", s:receive(4))
        end
        ngx.receive(1)
    end
'''


def test_backlog_queue_wakes_on_keepalive_and_close(tcplua, upstream):
    u = upstream(echo)
    s = tcplua(lua_server(script(u.port)))
    a = s.connect(timeout=10)
    a.send("A")
    assert a.recv_line() == "A 1 1\n"
    # the pool is full: a queued connect with a 300 ms connect timeout times out
    t = s.connect(timeout=10)
    t.send("T")
    assert t.recv_line() == "T nil timeout reused -\n"
    s.wait_log("lua tcp socket queued connect timed out, when trying to connect to 127.0.0.1:%d" % u.port)
    # B waits in the queue (backlog 1); C finds the queue full
    b = s.connect(timeout=10)
    b.send("B")
    time.sleep(0.3)  # B's connect is queued by now
    c = s.connect(timeout=10)
    c.send("C")
    assert c.recv_line() == "C nil too many waiting connect operations reused -\n"
    # A puts one connection back: B takes it from the pool
    a.send("g")
    assert a.recv_line() == "keepalive 1\n"
    assert b.recv_line() == "B 1 nil reused 1\n"
    assert b.recv_line() == "B echo ping\n"
    # D waits (A's second connection and B's are the pool's two); A closes one: D opens a new connection
    d = s.connect(timeout=10)
    d.send("D")
    assert not d.is_closed(wait=0.3)  # still queued
    a.send("g")
    assert a.recv_line() == "close 1\n"
    assert d.recv_line() == "D 1 nil reused 0\n"
    assert d.recv_line() == "D echo ping\n"
    assert u.accepted == 3
    for x in (a, b, c, d, t):
        x.send("g")
        x.close()


def test_backlog_option_errors_and_pool_without_backlog_is_uncapped(tcplua, upstream):
    u = upstream(echo)
    s = tcplua(lua_server(f'''
        if not ngx.receive(1) then return end
        local sock = ngx.socket.tcp()
        ngx.say(pcall(sock.connect, sock, "127.0.0.1", {u.port}, {{ backlog = -1 }}))
        local held = {{}}
        for i = 1, 3 do   -- pool_size alone caps only the idle connections
            held[i] = ngx.socket.tcp()
            ngx.say(held[i]:connect("127.0.0.1", {u.port}, {{ pool = "q", pool_size = 1 }}))
        end
        -- backlog 0: no queue at all once the pool is full
        local a, b, c = ngx.socket.tcp(), ngx.socket.tcp(), ngx.socket.tcp()
        ngx.say(a:connect("127.0.0.1", {u.port}, {{ pool = "z", pool_size = 2, backlog = 0 }}))
        ngx.say(b:connect("127.0.0.1", {u.port}, {{ pool = "z", pool_size = 2, backlog = 0 }}))
        ngx.say(c:connect("127.0.0.1", {u.port}, {{ pool = "z", pool_size = 2, backlog = 0 }}))
        a:close()
        ngx.say(c:connect("127.0.0.1", {u.port}, {{ pool = "z", pool_size = 2, backlog = 0 }}))
    '''))
    c = s.connect()
    c.send("x")
    out = c.recv_all().decode()
    assert out == ('falsebad argument #4 to \'connect\' (bad "backlog" option value: -1)\n' "1\n1\n1\n" "1\n1\n"
                   "niltoo many waiting connect operations\n1\n")
