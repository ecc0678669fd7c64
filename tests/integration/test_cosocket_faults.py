"""Cosocket faults: every failed wait resumes the script with the documented error, no descriptor leaks
(/proc/PID/fd counted before and after many failures), and the worker keeps serving."""
import socket
import struct
import time


from conftest import lua_server, wait_until
from upstream import fd_count, free_port


GATE = 'if not ngx.receive(1) then return end\n'


def request(s, timeout=30):
    c = s.connect(timeout=timeout)
    c.send("x")
    out = c.recv_all().decode()
    c.close()
    return out


def settle(s, expected, timeout=5):
    return wait_until(lambda: fd_count(s.proc.pid) <= expected, timeout)


def test_many_failures_leak_no_descriptor(tcplua, upstream):
    refused = free_port()

    def reset(c):
        c.recv(1)
        c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))

    def stall(c):
        c.recv(1)
        time.sleep(1)

    def more(c):
        c.recv(1)
        c.sendall(b"0123456789")

    r, st, m = upstream(reset), upstream(stall), upstream(more)
    s = tcplua(lua_server(GATE + f'''
        local counts = {{}}
        local function count(k) counts[k] = (counts[k] or 0) + 1 end
        for i = 1, 1000 do
            local sock = ngx.socket.tcp()
            local ok, err = sock:connect("127.0.0.1", {refused})
            count(err)
        end
        for i = 1, 300 do
            local sock = ngx.socket.tcp()
            sock:settimeout(2000)
            assert(sock:connect("127.0.0.1", {r.port}))
            sock:send("g")
            local d, err = sock:receive(1)
            count(err)
        end
        for i = 1, 100 do
            local sock = ngx.socket.tcp()
            sock:settimeout(5)
            assert(sock:connect("127.0.0.1", {st.port}))
            sock:send("g")
            local d, err = sock:receive(1)
            count(err)
            -- not closed: the thread's end (or the collector) closes it
        end
        for i = 1, 300 do
            local sock = ngx.socket.tcp()
            sock:settimeout(2000)
            assert(sock:connect("127.0.0.1", {m.port}))
            sock:send("g")
            local d = sock:receive(4)
            local ok, err = sock:setkeepalive()
            count(err)
            sock:close()
        end
        local keys = {{}}
        for k, v in pairs(counts) do keys[#keys + 1] = k .. "=" .. v end
        table.sort(keys)
        ngx.say(table.concat(keys, " "))
    ''', "lua_socket_log_errors off;"))
    request(s)  # warms up: the worker's own descriptors (logs, pools) are all open after one run
    assert settle(s, 10**6)
    time.sleep(0.3)
    before = fd_count(s.proc.pid)
    out = request(s)
    assert out == "connection in dubious state=300 connection refused=1000 connection reset by peer=300 timeout=100\n"
    assert settle(s, before), (fd_count(s.proc.pid), before)
    assert request(s) == out  # still serving, same answers


def test_client_disconnect_while_waiting_on_upstream(tcplua, upstream):
    def stall(c):
        c.recv(1)
        time.sleep(3)
    u = upstream(stall)
    s = tcplua(lua_server(GATE + f'''
        local sock = ngx.socket.tcp()
        sock:settimeout(500)
        assert(sock:connect("127.0.0.1", {u.port}))
        sock:send("g")
        local d, err = sock:receive(1)
        ngx.log(ngx.ERR, "upstream wait ended: ", err)
        ngx.say(err)
    '''))
    c0 = s.connect()
    c0.send("x")
    assert c0.recv_all() == b"timeout\n"  # warm-up
    before = fd_count(s.proc.pid)
    c = s.connect()
    c.send("x")
    time.sleep(0.1)
    c.close()
    s.wait_log(r"upstream wait ended: timeout(.|\n)*upstream wait ended: timeout", timeout=5)
    assert settle(s, before)
    c2 = s.connect()
    c2.send("x")
    assert c2.recv_all() == b"timeout\n"


def test_send_timeout_closes_and_reports(tcplua, upstream):
    def sink(c):
        c.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        time.sleep(3)  # reads nothing
    u = upstream(sink)
    s = tcplua(lua_server(GATE + f'''
        local sock = ngx.socket.tcp()
        sock:settimeouts(1000, 200, 1000)
        assert(sock:connect("127.0.0.1", {u.port}))
        local big = string.rep("x", 8 * 1024 * 1024)
        local t0 = ngx.now()
        ngx.say(sock:send(big))
        ngx.update_time()
        ngx.say(ngx.now() - t0 < 2)
        ngx.say(sock:send("more"))
    '''))
    assert request(s) == "niltimeout\ntrue\nnilclosed\n"
    assert s.log_lines(r"\[error\].*lua tcp socket write timed out")


def test_reconnect_closes_the_old_connection(tcplua, upstream):
    closed = []

    def watch(c):
        while c.recv(100):
            pass
        closed.append(time.time())
    u = upstream(watch)
    s = tcplua(lua_server(GATE + f'''
        local sock = ngx.socket.tcp()
        assert(sock:connect("127.0.0.1", {u.port}))
        assert(sock:connect("127.0.0.1", {u.port}))
        ngx.sleep(0.2)
        ngx.say("connected twice")
        ngx.sleep(0.3)
    '''))
    c = s.connect()
    c.send("x")
    assert c.recv_line() == "connected twice\n"
    assert len(closed) == 1  # the first one, closed by the second connect; the second is still open
    c.recv_all()
    assert wait_until(lambda: len(closed) == 2, 3)  # the handler ended: its socket was closed


def test_bad_arguments_raise_catchable_errors(tcplua):
    out = request(tcplua(lua_server(GATE + '''
        local sock = ngx.socket.tcp()
        local checks = {
            function() return sock.receive({}) end,
            function() return sock:receive(-1) end,
            function() return sock:receive(5, 9) end,
            function() return sock:receiveany(0) end,
            function() return sock:settimeouts(1) end,
            function() return sock:connect("127.0.0.1", 80, {pool = true}) end,
            function() return sock:connect("127.0.0.1", 80, {pool_size = 0}) end,
            function() return sock:getreusedtimes(1) end,
            function() return ngx.socket.udp():setpeername("127.0.0.1") end,
        }
        for i, f in ipairs(checks) do
            local ok, err = pcall(f)
            ngx.say(i, " ", tostring(ok), " ", type(err))
        end
        ngx.say("alive")
    ''')))
    assert out.splitlines() == [f"{i} false string" for i in range(1, 10)] + ["alive"]
