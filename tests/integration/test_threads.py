"""Light threads (ngx.thread.spawn/wait/kill) and user coroutines that call yielding APIs, in stream {}
configs as OpenResty writes them; strings and behaviours as stream-lua's uthread tests expect."""
import os
import socket
import threading

from conftest import wait_until
from upstream import recv_exact


def stream(body, extra_server="", extra_stream=""):
    return (
        "stream {\n" + extra_stream + "\n    server {\n        listen 127.0.0.1:$PORT;\n" + extra_server
        + "\n        content_by_lua_block {\n            if not ngx.receive(1) then return end\n" + body
        + "\n        }\n    }\n}\n"
    )


def run(tcplua, body, send=b"x", **kw):
    """Starts a server with `body` as its handler (after a 1-byte receive), sends `send`, returns the reply."""
    s = tcplua(stream(body, **kw))
    c = s.connect()
    c.send(send)
    return s, c.recv_all().decode()


def test_spawn_runs_at_once_and_wait_returns_results(tcplua):
    _, out = run(tcplua, r'''
        local function f(a, b)
            ngx.say("hello from f(", a, ", ", b, ")")
            ngx.sleep(0.05)
            return "f done", a + b
        end
        local t = ngx.thread.spawn(f, 3, 4)
        ngx.say("thread created: ", coroutine.status(t), " ", type(t))
        local ok, r1, r2 = ngx.thread.wait(t)
        ngx.say("waited: ", tostring(ok), " ", r1, " ", r2, " ", coroutine.status(t))
        ngx.say("again: ", tostring(ngx.thread.wait(t)), " ", select(2, ngx.thread.wait(t)))
    ''')
    assert out == ("hello from f(3, 4)\nthread created: running thread\nwaited: true f done 7 dead\n"
                   "again: nil already waited or killed\n")


def test_wait_returns_the_first_to_finish(tcplua):
    _, out = run(tcplua, r'''
        local tf = ngx.thread.spawn(function() ngx.sleep(0.3) return "f done" end)
        local tg = ngx.thread.spawn(function() ngx.sleep(0.05) return "g done" end)
        ngx.say(select(2, ngx.thread.wait(tf, tg)))
        ngx.say(select(2, ngx.thread.wait(tg, tf)))  -- tg was waited for already: OpenResty says so at once
        ngx.say(select(2, ngx.thread.wait(tf)))
    ''')
    assert out == "g done\nalready waited or killed\nf done\n"


def test_kill_strings_and_zombies(tcplua):
    s, out = run(tcplua, r'''
        local t = ngx.thread.spawn(function() ngx.say("in f") ngx.sleep(5) ngx.say("never") end)
        ngx.say("kill: ", tostring(ngx.thread.kill(t)))
        ngx.say("kill again: ", select(2, ngx.thread.kill(t)))
        ngx.say("kill main: ", select(2, ngx.thread.kill(coroutine.running())))
        local z = ngx.thread.spawn(function() return 1 end)
        ngx.say("zombie: ", coroutine.status(z), " ", select(2, ngx.thread.kill(z)))
        local k = ngx.thread.spawn(function()
            ngx.say("self: ", select(2, ngx.thread.kill(coroutine.running())))
        end)
        local ok, err = pcall(ngx.thread.wait, coroutine.running())
        ngx.say("wait main: ", err)
        ngx.say("wait number: ", select(2, pcall(ngx.thread.wait, 1)))
        local inner = ngx.thread.spawn(function()
            local grandchild = ngx.thread.spawn(function() ngx.sleep(0.01) return "gc" end)
            return grandchild
        end)
        local _, gc = ngx.thread.wait(inner)
        ngx.say("not parent: ", select(2, pcall(ngx.thread.wait, gc)), " ", select(2, ngx.thread.kill(gc)))
    ''')
    assert out == (
        "in f\nkill: 1\nkill again: already waited or killed\nkill main: not user thread\n"
        "zombie: zombie already terminated\nself: killer not parent\n"
        "wait main: attempt to wait on a coroutine that is not a user thread\n"
        "wait number: bad argument #1 to 'wait' (lua thread expected)\n"
        "not parent: only the parent coroutine can wait on the thread killer not parent\n"
    )
    assert "[error]" not in s.error_log()


def test_hundred_threads_each_sleeping_a_random_time(tcplua):
    _, out = run(tcplua, r'''
        local threads, order = {}, {}
        for i = 1, 100 do
            threads[i] = ngx.thread.spawn(function()
                ngx.sleep(math.random(0, 50) / 1000)
                order[#order + 1] = i
                return i
            end)
        end
        local sum = 0
        for i = 1, 100 do
            local ok, v = ngx.thread.wait(threads[i])
            assert(ok and v == i)
            sum = sum + v
        end
        ngx.say(sum, " ", #order)
    ''')
    assert out == "5050 100\n"


def test_session_lasts_until_its_light_threads_end(tcplua):
    _, out = run(tcplua, r'''
        ngx.thread.spawn(function() ngx.sleep(0.1) ngx.say("late") end)
        ngx.say("entry returns")
    ''')
    assert out == "entry returns\nlate\n"


def test_exit_in_a_light_thread_ends_every_thread(tcplua):
    _, out = run(tcplua, r'''
        ngx.thread.spawn(function() ngx.sleep(0.05) ngx.say("t exits") ngx.exit(0) end)
        ngx.thread.spawn(function() ngx.sleep(0.5) ngx.say("other thread") end)
        ngx.sleep(0.5)
        ngx.say("entry")
    ''')
    assert out == "t exits\n"


def test_entry_thread_error_kills_light_threads_and_user_thread_error_is_logged(tcplua):
    s, out = run(tcplua, r'''
        local bad = ngx.thread.spawn(function() error("thread boom") end)
        ngx.say("bad: ", tostring(ngx.thread.wait(bad)), " ", select(2, ngx.thread.wait(bad)))
        ngx.thread.spawn(function() ngx.sleep(0.2) ngx.say("late") end)
        ngx.sleep(0.01)
        error("entry boom")
    ''')
    assert out == "bad: false already waited or killed\n"
    s.wait_log(r"lua user thread aborted: runtime error: content_by_lua\(tcplua\.conf:\d+\):\d+: thread boom")
    s.wait_log(r"lua entry thread aborted: runtime error: content_by_lua\(tcplua\.conf:\d+\):\d+: entry boom")
    c = s.connect()  # still serving
    c.send("x")
    assert c.recv_line() == "bad: false already waited or killed\n"


def test_killing_a_thread_waiting_on_a_cosocket_cancels_the_wait(tcplua, upstream):
    silent = threading.Event()

    def hold(conn):
        silent.wait(10)

    u = upstream(hold)
    s, out = run(tcplua, r'''
        local t = ngx.thread.spawn(function()
            local sock = ngx.socket.tcp()
            assert(sock:connect("127.0.0.1", $UP))
            ngx.say("connected")
            local data, err = sock:receive(10)
            ngx.say("never: ", tostring(data), " ", tostring(err))
        end)
        ngx.sleep(0.1)
        ngx.say("kill: ", tostring(ngx.thread.kill(t)))
        ngx.sleep(0.3)
        ngx.say("still here")
    '''.replace("$UP", str(u.port)))
    assert out == "connected\nkill: 1\nstill here\n"
    # The killed thread's socket is closed once the session's last thread ends: the upstream sees EOF.
    conn = u.conns[0]
    conn.settimeout(5)
    assert conn.recv(1) == b""
    silent.set()
    pid = s.proc.pid
    base = len(os.listdir(f"/proc/{pid}/fd"))
    for _ in range(20):
        c = s.connect()
        c.send("x")
        c.recv_all()
    assert wait_until(lambda: len(os.listdir(f"/proc/{pid}/fd")) <= base)


def test_user_coroutines_cooperate_with_yielding_apis(tcplua):
    s = tcplua(stream(r'''
        local gen = coroutine.wrap(function()
            for i = 1, 3 do ngx.sleep(0.01) coroutine.yield(i) end
        end)
        ngx.say("gen: ", gen(), gen(), gen())
        local co = coroutine.create(function(x)
            local d = ngx.receive(2)
            local y = coroutine.yield(x .. d)
            local inner = coroutine.wrap(function() return ngx.receive(1) .. "!" end)
            return y * 2, inner()
        end)
        ngx.say("co1: ", select(2, coroutine.resume(co, "in:")))
        local ok, a, b = coroutine.resume(co, 21)
        ngx.say("co2: ", a, " ", b, " ", coroutine.status(co))
        local w = coroutine.wrap(function() error("wrapped boom") end)
        ngx.say("wrap error: ", select(2, pcall(w)))
        ngx.say(pcall(function() return ngx.sleep(0) end))
    '''))
    c = s.connect()
    c.send("x")
    assert c.recv_line() == "gen: 123\n"
    c.send("ab")
    assert c.recv_line() == "co1: in:ab\n"
    c.send("z")
    assert c.recv_line() == "co2: 42 z! dead\n"
    rest = c.recv_all().decode()
    assert rest.startswith("wrap error: content_by_lua(tcplua.conf:"), rest
    assert "wrapped boom\ntrue\n" in rest


def test_duplex_proxy_one_thread_per_direction(tcplua, upstream):
    size = 1 << 20
    up_data = bytes(i * 7 % 251 for i in range(size))
    client_data = bytes(i * 13 % 253 for i in range(size))
    got = {}

    def peer(conn):
        def reader():
            try:
                d = recv_exact(conn, size)
            except OSError:
                d = None
            if d is not None:  # not the probe connection of wait_listening: its session ends at once
                got["up"] = d
        r = threading.Thread(target=reader)
        r.start()
        conn.sendall(up_data)
        r.join(20)
        conn.shutdown(socket.SHUT_WR)

    u = upstream(peer)
    s = tcplua(
        "stream {\n    server {\n        listen 127.0.0.1:$PORT;\n        content_by_lua_block {\n"
        + r'''
            local up = ngx.socket.tcp()
            assert(up:connect("127.0.0.1", $UP))
            local req = ngx.req.socket()
            local down = ngx.thread.spawn(function()
                while true do
                    local d, err = up:receiveany(16384)
                    if not d then return err end
                    local ok, err2 = ngx.print(d)
                    if not ok then return err2 end
                end
            end)
            local sent = 0
            while sent < $SIZE do
                local d, err = req:receiveany(16384)
                if not d then break end
                assert(up:send(d))
                sent = sent + #d
            end
            local ok, why = ngx.thread.wait(down)
            ngx.log(ngx.INFO, "proxied ", sent, " bytes up, downstream ended: ", why)
        '''.replace("$UP", str(u.port)).replace("$SIZE", str(size))
        + "\n        }\n    }\n}\n"
    )
    c = s.connect(timeout=20)
    writer = threading.Thread(target=lambda: c.send(client_data))
    writer.start()
    received = c.recv_exact(size)
    writer.join(20)
    assert received == up_data
    assert wait_until(lambda: "up" in got, timeout=20)  # the other direction may still be in flight
    assert got["up"] == client_data
    s.wait_log(r"proxied 1048576 bytes up, downstream ended: closed")


def test_print_in_a_user_coroutine_waits_for_a_slow_client(tcplua):
    import time
    s = tcplua(stream(r'''
        local co = coroutine.wrap(function()
            local chunk = string.rep("y", 65536)
            for i = 1, 128 do assert(ngx.print(chunk)) end
            return "done"
        end)
        ngx.say(co())
    '''))
    c = s.connect(timeout=20)
    c.send("x")
    time.sleep(0.5)  # 8 MiB: more than the socket buffers hold, so the print has to wait for the client
    data = c.recv_all()
    assert len(data) == 128 * 65536 + 5 and data.endswith(b"ydone\n")


def test_cosockets_from_user_coroutines_and_threads_of_a_timer(tcplua, upstream):
    from upstream import echo
    u = upstream(echo)
    s, out = run(tcplua, r'''
        local function ask(word)
            local sock = ngx.socket.tcp()
            assert(sock:connect("127.0.0.1", $UP))
            assert(sock:send(word .. "\n"))
            local line = assert(sock:receive("*l"))
            sock:setkeepalive()
            return line
        end
        local gen = coroutine.wrap(function() coroutine.yield(ask("one")) coroutine.yield(ask("two")) end)
        ngx.say(gen(), " ", gen())
        ngx.timer.at(0, function()
            local t = ngx.thread.spawn(ask, "from a timer's thread")
            local _, line = ngx.thread.wait(t)
            ngx.log(ngx.NOTICE, "timer got: ", line)
        end)
    '''.replace("$UP", str(u.port)))
    assert out == "one two\n"
    s.wait_log(r"timer got: from a timer's thread, context: ngx\.timer")
