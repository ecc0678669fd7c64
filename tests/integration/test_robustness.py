"""What a hostile or careless script or client must not be able to do to the worker."""
import signal
import socket
import struct
import time

import pytest

from conftest import MAIN, lua_server
from test_memory import rss_kib


def test_sleep_zero_loop_does_not_starve_other_sessions(tcplua):
    s = tcplua(lua_server('local d = ngx.receive(1) if d == "s" then while true do ngx.sleep(0) end end ngx.say("ok")'))
    spinner = s.connect()
    spinner.send("s")
    time.sleep(0.2)
    c = s.connect()
    c.send("x")
    assert c.recv_line() == "ok\n"


def test_huge_length_prefix_commits_no_memory(tcplua):
    s = tcplua(lua_server('local d, err = ngx.receive(4000000000) ngx.say(tostring(d), " ", err)', "read_timeout 1s;"))
    time.sleep(0.2)
    before = rss_kib(s.proc.pid)
    c = s.connect()
    c.send(b"a" * 1000)
    time.sleep(0.3)
    assert rss_kib(s.proc.pid) - before < 2048
    assert c.recv_line() == "nil timeout\n"


def test_print_from_a_user_coroutine_returns_to_that_coroutine(tcplua):
    s = tcplua(lua_server(
        'local co = coroutine.wrap(function() local n, ok = ngx.print("ab") coroutine.yield(n, ok) end)\n'
        'local n, ok = co() ngx.say(" ", n, " ", ok)'))
    assert s.connect().recv_all() == b"ab 2 ok\n"


def test_exit_from_a_user_coroutine_ends_the_session_as_in_openresty(tcplua):
    s = tcplua(lua_server(
        'ngx.say("before") local ok, err = coroutine.resume(coroutine.create(function() ngx.exit() end))'
        ' ngx.say("after: ", tostring(ok), " ", err)'))
    assert s.connect().recv_all() == b"before\n"


def test_bad_numbers_raise_errors_instead_of_crashing(tcplua):
    s = tcplua(lua_server(
        'ngx.say(pcall(ngx.tcp_time, 0/0)) ngx.say(pcall(ngx.tcp_time, 1e300)) ngx.say(pcall(ngx.sleep, 0/0))'))
    out = s.connect().recv_all().decode().splitlines()
    assert out[0].startswith("false") and "tcp_time" in out[0]
    assert out[1].startswith("false")
    assert out[2] == "falseinvalid sleep duration"
    assert s.connect().recv_all()  # the worker is still there


def test_graceful_stop_closes_idle_keepalive_sessions_and_finishes_busy_ones(tcplua):
    main = MAIN.replace("master_process off", "master_process on")
    s = tcplua(lua_server(
        'while true do local d = ngx.receive(1) if d == "w" then ngx.sleep(0.5) end ngx.say("r", d) ngx.wait_next_request() end'),
        main=main)
    idle = s.connect()
    idle.send("a")
    assert idle.recv_line() == "ra\n"
    busy = s.connect()
    busy.send("w")
    time.sleep(0.1)
    s.proc.send_signal(signal.SIGQUIT)
    assert idle.is_closed(wait=3)
    assert busy.recv_line() == "rw\n"
    assert busy.is_closed(wait=3)
    assert s.proc.wait(timeout=5) == 0


def test_two_listen_addresses_log_their_own_address(tcplua):
    from conftest import free_port
    port2 = free_port()
    conf = lua_server('ngx.log(ngx.ERR, "hello") ngx.say("x")').replace(
        "listen 127.0.0.1:$PORT;", f"listen 127.0.0.1:$PORT;\n listen 127.0.0.1:{port2};")
    s = tcplua(conf)
    s.wait_listening(port2)
    c = socket.create_connection(("127.0.0.1", port2), timeout=5)
    c.recv(10)
    s.wait_log(rf"hello, client: 127\.0\.0\.1, server: 127\.0\.0\.1:{port2}")


# The wait_next_request fast path parks by yielding from a C function: the words are the classic call's too,
# without a position.
@pytest.mark.parametrize("call", ["ngx.receive(1)", "ngx.wait_next_request()"])
def test_a_wait_where_it_cannot_yield_is_a_catchable_error_that_leaves_nothing_behind(tcplua, call):
    s = tcplua(lua_server(
        f'local ok, err = pcall(string.gsub, "a", "a", function() return {call} end)\n'
        'ngx.say(tostring(ok), " ", err) local d = ngx.receive(2) ngx.say("got ", d)'))
    c = s.connect()
    assert c.recv_line() == "false attempt to yield across C-call boundary\n"
    c.send("xy")
    assert c.recv_line() == "got xy\n"


def test_wait_next_request_parks_from_inside_user_coroutines(tcplua):
    # the park's yield passes up through coroutine.resume and coroutine.wrap, then resumes where it was
    s = tcplua(lua_server(
        'local inner = coroutine.wrap(function()\n'
        '  while true do ngx.wait_next_request() coroutine.yield(ngx.receive(1)) end end)\n'
        'local co = coroutine.create(function()\n'
        '  for i = 1, 3 do ngx.say("got ", inner(), " ", i) end return "done" end)\n'
        'ngx.say("ready")\n'
        'local ok, v = coroutine.resume(co) ngx.say(tostring(ok), " ", v, " ", coroutine.status(co))'))
    c = s.connect()
    assert c.recv_line() == "ready\n"
    for i, b in enumerate(["a", "b", "c"], 1):
        time.sleep(0.05)  # parked in between: each byte arrives while the thread waits
        c.send(b)
        assert c.recv_line() == f"got {b} {i}\n"
    assert c.recv_line() == "true done dead\n"
