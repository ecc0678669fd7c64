"""lua_check_client_abort: a client that closes while its handler sleeps ends the session (the code after
the wait never runs; [info] "client prematurely closed connection"), during the first request and a later
one; with ngx.on_abort(fn), fn runs in its own thread and the handler may finish. Off: the handler goes on."""
import time

from conftest import lua_server

LOOP = """
local n = 0
while true do
    if not ngx.receive(1) then return end
    n = n + 1
    ngx.say("got ", n)
    ngx.sleep(0.6)
    ngx.log(ngx.ERR, "after sleep ", n)
    ngx.wait_next_request()
end
"""


def served(s, c, n):
    c.send(b"x")
    assert c.recv_line() == f"got {n}\n"


def test_abort_during_the_first_request_ends_the_session(tcplua):
    s = tcplua(lua_server(LOOP, extra_server="lua_check_client_abort on;"))
    c = s.connect()
    served(s, c, 1)
    c.close()
    s.wait_log(r"\[info\] \d+#0: \*\d+ client prematurely closed connection, client: 127.0.0.1")
    time.sleep(1.0)
    assert not s.log_lines("after sleep"), s.log_lines("after sleep")


def test_abort_during_a_later_request_ends_the_session(tcplua):
    s = tcplua(lua_server(LOOP, extra_server="lua_check_client_abort on;"))
    c = s.connect()
    served(s, c, 1)
    s.wait_log(r"after sleep 1")
    served(s, c, 2)
    c.close()
    s.wait_log(r"client prematurely closed connection")
    time.sleep(1.0)
    assert not s.log_lines("after sleep 2")


def test_without_the_directive_the_handler_goes_on(tcplua):
    s = tcplua(lua_server(LOOP))
    c = s.connect()
    served(s, c, 1)
    c.close()
    s.wait_log(r"after sleep 1")
    assert not s.log_lines("prematurely")


def test_a_half_close_after_a_request_is_not_an_abort_until_read(tcplua):
    # The client sends its request and FIN together: the bytes are read first, then the close.
    s = tcplua(lua_server("""
        ngx.sleep(0.3)
        local data = ngx.receive(1)
        ngx.say("read ", data)
        ngx.log(ngx.ERR, "second receive: ", select(2, ngx.receive(1)))
    """, extra_server="lua_check_client_abort on;"))
    c = s.connect()
    c.send(b"x")
    c.shutdown_write()
    assert c.recv_all() == b"read x\n"
    s.wait_log(r"second receive: closed")
    # Only the harness's probe connection (*1, closed at once while its handler slept) was an abort.
    assert [l for l in s.log_lines("prematurely") if "*1 " not in l] == []


ON_ABORT = """
local ok, err = ngx.on_abort(function()
    ngx.log(ngx.ERR, "on_abort ran")
    ngx.sleep(0.1)
    ngx.log(ngx.ERR, "on_abort done")
end)
ngx.say("registered ", ok, " ", err)
local ok2, err2 = ngx.on_abort(function() end)
ngx.say("again ", ok2, " ", err2)
if not ngx.receive(1) then return end
ngx.say("got")
ngx.sleep(0.5)
ngx.log(ngx.ERR, "handler finished, receive: ", select(2, ngx.receive(1)))
"""


def test_on_abort_runs_in_its_own_thread_and_the_handler_may_finish(tcplua):
    s = tcplua(lua_server(ON_ABORT, extra_server="lua_check_client_abort on;"))
    c = s.connect()
    assert c.recv_line() == "registered 1 nil\n"
    assert c.recv_line() == "again nil duplicate call\n"
    c.send(b"x")
    assert c.recv_line() == "got\n"
    c.close()
    s.wait_log(r"on_abort done")
    s.wait_log(r"handler finished, receive: closed")
    lines = s.log_lines(r"on_abort ran|handler finished")
    assert "on_abort ran" in lines[0] and "handler finished" in lines[1], lines


def test_on_abort_needs_the_directive(tcplua):
    s = tcplua(lua_server("""
        ngx.say(select("#", ngx.on_abort(function() end)), " ", tostring(ngx.on_abort(function() end)))
        ngx.say(select(2, ngx.on_abort(function() end)))
        ngx.say(pcall(ngx.on_abort, 1))
    """))
    c = s.connect()
    assert c.recv_all() == (b"2 nil\nlua_check_client_abort is off\n"
                            b"truenillua_check_client_abort is off\n")  # the directive is checked first


def test_abort_while_waiting_on_a_cosocket(tcplua):
    import threading
    from upstream import Upstream
    held = threading.Event()

    def stall(c):  # accepts and never answers
        held.wait(20)

    up = Upstream(stall)
    try:
        s = tcplua(lua_server(f"""
            if not ngx.receive(1) then return end
            local sock = ngx.socket.tcp()
            sock:settimeout(1500)
            assert(sock:connect("127.0.0.1", {up.port}))
            ngx.say("waiting")
            local data, err = sock:receive(1)
            ngx.log(ngx.ERR, "after the upstream wait: ", err)
        """, extra_server="lua_check_client_abort on;"))
        c = s.connect()
        c.send(b"x")
        assert c.recv_line() == "waiting\n"
        c.close()
        s.wait_log(r"\*\d+ client prematurely closed connection")
        time.sleep(2.5)  # past the cosocket's read timeout: the code after the wait would have run by now
        assert not s.log_lines("after the upstream wait"), s.log_lines("after the upstream wait")
    finally:
        held.set()
        up.stop()
