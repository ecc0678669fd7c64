"""The core's promises over the real binary: a Lua error anywhere ends one thread, never the process; replies
are not lost on close; read_timeout bounds silence, not progress; a send timeout closes the connection; one
pipelining client does not delay others; a graceful stop is bounded; lua_code_cache off means a fresh VM."""
import os
import signal
import socket
import threading
import time

from conftest import Client, free_port, lua_server, wait_until

FINALIZER = r'''
local d = ngx.receive(1)
if d ~= "g" then return end
collectgarbage("setpause", 10)  -- the collector always runs: any allocation may run the finalizer
jit.off()  -- LuaJIT runs no finalizer inside compiled code: keep the allocating loops interpreted
local function garbage()  -- made in a frame of its own: no stack slot keeps it alive
    local p = newproxy(true)
    getmetatable(p).__gc = function() error("boom in gc") end
end
garbage()
for i = 1, 1000 do local _ = {i} end
local d2 = ngx.receive(1)  -- parked: when the byte comes, its result is made where the finalizer may run
ngx.say("got ", d2)
for i = 1, 200000 do local _ = tostring(i) end
ngx.say("survived")
'''


def test_a_failing_finalizer_ends_one_thread_and_the_process_keeps_serving(tcplua):
    other = free_port()
    second = "server { listen 127.0.0.1:%d; process_by_lua_block { ngx.say('other ', ngx.receive(2)) } }" % other
    conf = lua_server(FINALIZER).rstrip()[:-1] + second + "\n}\n"
    s = tcplua(conf)
    c = s.connect()
    c.send("g")
    time.sleep(0.1)
    c.send("h")
    c.recv_all()  # whatever it printed before the error, the connection ends
    # The error surfaces in whichever Lua thread the collector ran in: logged, and only that thread ends.
    s.wait_log(r"\[error\].*boom in gc")
    assert "PANIC" not in s.error_log()
    assert s.proc.poll() is None
    o = Client(other)
    o.send("hi")
    assert o.recv_line() == "other hi\n"
    c2 = s.connect()
    c2.send("x")  # the first server too
    assert c2.is_closed()


def test_a_long_reply_after_a_partly_read_request_arrives_whole(tcplua):
    s = tcplua(lua_server('local d = ngx.receive(2) ngx.print(string.rep("x", 3 * 1024 * 1024))'))
    c = s.connect(timeout=20)
    c.send(b"ab" + b"y" * 200_000)  # more than one read takes: most of it stays in the kernel, unread
    time.sleep(0.3)  # the handler returned long ago, with its client's bytes unread
    data = c.recv_all()
    assert len(data) == 3 * 1024 * 1024
    assert set(data) == {ord("x")}


def send_after_reply(s):
    """Reads the reply to the end, then keeps sending: returns the error the client met, or None."""
    c = s.connect()
    c.send(b"ab")
    assert c.recv_all() == b"bye"
    try:
        for _ in range(20):
            c.sock.sendall(b"z" * 10000)
            time.sleep(0.05)
    except OSError as e:
        return e
    finally:
        c.close()
    return None


def test_lingering_close_reads_and_discards_what_the_client_still_sends(tcplua):
    s = tcplua(lua_server('if not ngx.receive(1) then return end ngx.print("bye")', "lingering_close always;"))
    assert send_after_reply(s) is None


def test_a_reply_reaches_a_client_whose_bytes_came_while_the_handler_ran(tcplua):
    # The handler never reads and never yields: the client's bytes arrive while it runs, before any read event,
    # so only a look at the socket at close finds them; closing without lingering would reset the connection
    # and the client would lose the reply.
    s = tcplua(lua_server('local t = os.clock() while os.clock() - t < 0.05 do end ngx.print("bye")'))
    for _ in range(3):
        c = s.connect()
        c.send(b"unread")
        time.sleep(0.2)
        assert c.recv_all() == b"bye"
        c.close()


def test_lingering_close_off_closes_at_once(tcplua):
    s = tcplua(lua_server('if not ngx.receive(1) then return end ngx.print("bye")', "lingering_close off;"))
    assert isinstance(send_after_reply(s), (ConnectionResetError, BrokenPipeError))


def test_read_timeout_bounds_silence_not_a_slow_steady_receive(tcplua):
    s = tcplua(lua_server('local d, err = ngx.receive(10) ngx.print(tostring(d), " ", tostring(err))',
                          "read_timeout 1s;"))
    c = s.connect(timeout=15)
    for ch in "0123456789":
        c.send(ch)
        time.sleep(0.4)
    assert c.recv_all() == b"0123456789 nil"
    c2 = s.connect(timeout=15)
    c2.send("01")
    assert c2.recv_all() == b"nil timeout"  # 1 s of silence still ends it


SEND_TIMEOUT = r'''
if not ngx.receive(1) then return end
local chunk = string.rep("x", 65536)
local n, err
for i = 1, 2000 do
    n, err = ngx.print(chunk)
    if not n then break end
end
ngx.log(ngx.ERR, "print: ", tostring(err))
ngx.update_time()
local t0 = ngx.now()
local d, rerr = ngx.receive(1)
ngx.update_time()
ngx.log(ngx.ERR, "then receive: ", tostring(d), " ", tostring(rerr), " after ", ngx.now() - t0)
'''


def test_after_a_send_timeout_the_next_receive_returns_closed_at_once(tcplua):
    s = tcplua(lua_server(SEND_TIMEOUT, "send_timeout 1s; read_timeout 60s;"))
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", s.port))
    sock.sendall(b"ab")  # one byte stays unread by the handler: the stream has more, it must not be read
    m = s.wait_log(r"then receive: nil closed after ([0-9.]+)", timeout=20)
    assert float(m.group(1)) < 5  # read_timeout is 60 s: "at once"
    assert s.log_lines(r"print: timeout")
    assert s.log_lines(r"\[info\].*client timed out \(110: Connection timed out\) while sending to client")
    sock.close()


ECHO = r'''
while true do
    local d = ngx.receive(1)
    if not d then return end
    ngx.print(d)
    ngx.wait_next_request()
end
'''


def test_a_pipelining_client_does_not_delay_another_clients_request(tcplua):
    s = tcplua(lua_server(ECHO, "access_log off;"))
    stop = time.time() + 3
    a = socket.create_connection(("127.0.0.1", s.port))
    received = [0]

    def reader():
        a.settimeout(10)
        while True:
            try:
                b = a.recv(1 << 16)
            except OSError:
                return
            if not b:
                return
            received[0] += len(b)

    t = threading.Thread(target=reader)
    t.start()
    blob = b"p" * 65536

    def writer():
        while time.time() < stop:
            a.sendall(blob)
        a.shutdown(socket.SHUT_WR)

    w = threading.Thread(target=writer)
    w.start()
    time.sleep(0.3)
    worst = 0
    for _ in range(20):
        c = Client(s.port)
        t0 = time.time()
        c.send("q")
        assert c.sock.recv(1) == b"q"
        worst = max(worst, time.time() - t0)
        c.close()
        time.sleep(0.05)
    busy = time.time() < stop  # the pipelining client was still streaming during every measurement
    w.join()
    t.join()
    a.close()
    assert busy
    assert received[0] > 100_000
    assert worst < 0.5, f"a single request waited {worst:.3f}s behind the pipelining client"


def test_quit_is_bounded_by_worker_shutdown_timeout(tcplua):
    main = ("daemon off;\nmaster_process off;\nerror_log logs/error.log info;\npid logs/tcplua.pid;\n"
            "worker_shutdown_timeout 1s;\n")
    s = tcplua(lua_server('if not ngx.receive(1) then return end while true do ngx.sleep(0.1) end'), main=main)
    c = s.connect()
    c.send("x")
    time.sleep(0.2)
    t0 = time.time()
    s.proc.send_signal(signal.SIGQUIT)
    time.sleep(0.5)
    assert s.proc.poll() is None  # still letting the session finish
    s.proc.wait(timeout=15)
    assert time.time() - t0 >= 0.9
    assert s.log_lines(r"worker_shutdown_timeout passed: closing 1 connection")
    assert c.is_closed()


CODE_CACHE = r'''
if not ngx.receive(1) then return end
local m = require "mod"
ngx.say(m.version, " ", tostring(_G.leak), " ", tostring(initialized))
_G.leak = "leaked"
'''


def test_lua_code_cache_off_gives_every_connection_a_fresh_vm(tcplua):
    conf = lua_server(CODE_CACHE, "lua_code_cache off;",
                      "lua_package_path '$PREFIX/lua/?.lua;;';\n init_by_lua_block { initialized = 'yes' }")
    s = tcplua(conf, files={"lua/mod.lua": "return { version = 'v1' }\n"})
    c = s.connect()
    c.send("a")
    assert c.recv_line() == "v1 nil yes\n"
    (s.prefix / "lua" / "mod.lua").write_text("return { version = 'v2' }\n")
    c = s.connect()
    c.send("a")
    assert c.recv_line() == "v2 nil yes\n"  # the edited module, and no global from the first connection
    assert s.log_lines(r"\[alert\].*lua_code_cache is off; this will hurt performance")


def test_lua_code_cache_on_keeps_modules_and_globals(tcplua):
    conf = lua_server(CODE_CACHE, "", "lua_package_path '$PREFIX/lua/?.lua;;';\n init_by_lua_block { initialized = 'yes' }")
    s = tcplua(conf, files={"lua/mod.lua": "return { version = 'v1' }\n"})
    c = s.connect()
    c.send("a")
    assert c.recv_line() == "v1 nil yes\n"
    (s.prefix / "lua" / "mod.lua").write_text("return { version = 'v2' }\n")
    c = s.connect()
    c.send("a")
    assert c.recv_line() == "v1 leaked yes\n"


MANY_FINALIZERS = r'''
if not ngx.receive(1) then return end
jit.off()
collectgarbage("setpause", 10)
for k = 1, 200 do
    local function g() local p = newproxy(true) getmetatable(p).__gc = function() error("boom " .. k) end end
    g()
end
for i = 1, 100000 do ngx.receive(1) end  -- results made in Swift frames: the errors unwind through them
'''


def test_many_failing_finalizers_cost_no_other_session(tcplua):
    other = free_port()
    second = "server { listen 127.0.0.1:%d; process_by_lua_block { ngx.say('alive') } }" % other
    s = tcplua(lua_server(MANY_FINALIZERS).rstrip()[:-1] + second + "\n}\n")
    c = s.connect()
    c.send(b"x" * 300_000)
    s.wait_log(r"\[error\].*boom \d+")
    time.sleep(0.3)
    for _ in range(3):
        assert Client(other).recv_all() == b"alive\n"
    assert s.proc.poll() is None
    assert "PANIC" not in s.error_log()



def test_bytes_sent_counts_a_light_sessions_own_bytes_flushed_after_wait_next_request(tcplua):
    code = r'''
    while true do
        local d = ngx.receive(1)
        if not d then return end
        ngx.print(string.rep(d, 60000))
        ngx.wait_next_request()
    end
    '''
    tcp = "log_format sizes '$connection_requests $bytes_sent';"
    s = tcplua(lua_server(code, "access_log logs/sizes.log sizes;", tcp))
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8192)
    sock.connect(("127.0.0.1", s.port))
    sock.settimeout(20)
    n = 120  # 7.2 MB: the socket buffers fill, and requests end with part of their reply still unsent
    for i in range(n):
        sock.sendall(b"x")
        time.sleep(0.005)
    got = 0
    while got < n * 60000:
        got += len(sock.recv(1 << 16))
    sock.close()

    def lines():
        return [l.split() for l in s.access_log("logs/sizes.log").splitlines()]

    def requests():
        return {int(l[0]): int(l[1]) for l in lines() if 1 <= int(l[0]) <= n}

    assert wait_until(lambda: len(requests()) == n, timeout=5)
    assert set(requests().values()) == {60000}
