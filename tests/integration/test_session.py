"""Session lifecycle: start on accept, close on return/exit/error, light sessions via ngx.wait_next_request,
keepalive_timeout, and the accepted config forms of a handler."""
import time

from conftest import Client, free_port, lua_file_server, lua_server

COUNTER = r'''
local n = 0
while true do
    local d, err = ngx.receive(1)
    if not d then return end
    n = n + 1
    ngx.say(n, ":", d)
    ngx.wait_next_request()
end
'''


def test_session_starts_on_accept_and_closes_on_return(tcplua):
    s = tcplua(lua_server('ngx.say("hello")'))
    c = s.connect()
    assert c.recv_line() == "hello\n"  # nothing was sent by the client
    assert c.is_closed(wait=2)


def test_exit_closes_connection_and_stops_the_code(tcplua):
    s = tcplua(lua_server('ngx.say("a") ngx.exit() ngx.say("b") ngx.log(ngx.ERR, "after exit")'))
    assert s.connect().recv_all() == b"a\n"
    # a second session proves the first one is over, then the log must not show the code after exit
    assert s.connect().recv_all() == b"a\n"
    time.sleep(0.1)
    assert "after exit" not in s.error_log()


def test_exit_inside_nested_function(tcplua):
    s = tcplua(lua_server('local function f() ngx.print("in") ngx.exit() end f() ngx.print("out")'))
    assert s.connect().recv_all() == b"in"


def test_wait_next_request_keeps_locals(tcplua):
    s = tcplua(lua_server(COUNTER))
    c = s.connect()
    for i, ch in enumerate("abc", 1):
        c.send(ch)
        assert c.recv_line() == f"{i}:{ch}\n"
        time.sleep(0.02)


def test_wait_next_request_returns_at_once_with_buffered_bytes(tcplua):
    s = tcplua(lua_server(COUNTER, "keepalive_timeout 5s;"))
    c = s.connect()
    t0 = time.time()
    c.send("xyz")
    assert [c.recv_line() for _ in range(3)] == ["1:x\n", "2:y\n", "3:z\n"]
    assert time.time() - t0 < 1.0


def test_connections_have_separate_light_sessions(tcplua):
    s = tcplua(lua_server(COUNTER))
    a, b = s.connect(), s.connect()
    a.send("p")
    assert a.recv_line() == "1:p\n"
    b.send("q")
    assert b.recv_line() == "1:q\n"
    a.send("r")
    assert a.recv_line() == "2:r\n"


def test_client_close_while_waiting_ends_session(tcplua):
    s = tcplua(lua_server(
        'local d = ngx.receive(1) ngx.say("got ", d) ngx.wait_next_request()\n'
        'ngx.log(ngx.ERR, "after wait") ngx.say("late")'))
    c = s.connect()
    c.send("x")
    assert c.recv_line() == "got x\n"
    c.close()
    time.sleep(0.4)
    assert "after wait" not in s.error_log()
    # the server is still fine
    c2 = s.connect()
    c2.send("y")
    assert c2.recv_line() == "got y\n"


def test_keepalive_timeout_closes_idle_connection(tcplua):
    s = tcplua(lua_server(COUNTER, "keepalive_timeout 200ms;"))
    c = s.connect()
    c.send("a")
    assert c.recv_line() == "1:a\n"
    t0 = time.time()
    assert c.is_closed(wait=3)
    elapsed = time.time() - t0
    assert 0.15 <= elapsed < 1.5, elapsed


def test_without_keepalive_timeout_idle_connection_waits(tcplua):
    s = tcplua(lua_server(COUNTER, "read_timeout 100ms;"))
    c = s.connect()
    c.send("a")
    assert c.recv_line() == "1:a\n"
    assert not c.is_closed(wait=0.6)  # longer than read_timeout: idle waits are not reads
    c.sock.settimeout(5)
    c.send("b")
    assert c.recv_line() == "2:b\n"


def test_keepalive_timeout_resets_per_request(tcplua):
    s = tcplua(lua_server(COUNTER, "keepalive_timeout 300ms;"))
    c = s.connect()
    for i in range(1, 5):
        c.send("k")
        assert c.recv_line() == f"{i}:k\n"
        time.sleep(0.15)  # 4 x 150 ms > 300 ms in total, but each idle wait is short
    assert c.is_closed(wait=2)


H_LUA = 'local d = ngx.receive(1)\nif d == "e" then\n    error("boom")\nend\nngx.say("ok ", d)\n'


def test_runtime_error_ends_only_that_session(tcplua):
    s = tcplua(lua_file_server("conf/h.lua"), files={"conf/h.lua": H_LUA})
    other = s.connect()
    bad = s.connect()
    bad.send("e")
    assert bad.recv_all() == b""
    m = s.wait_log(r"\[error\] \d+#0: \*\d+ lua entry thread aborted: runtime error: conf/h\.lua:3: boom")
    assert "stack traceback:" in s.error_log()[m.start():]
    other.send("o")
    assert other.recv_all() == b"ok o\n"
    c = s.connect()
    c.send("n")
    assert c.recv_all() == b"ok n\n"


def test_runtime_error_in_inline_code_names_the_chunk(tcplua):
    conf = ("tcp {\n    server {\n        listen 127.0.0.1:$PORT;\n"
            "        process_by_lua 'ngx.print(\"x\") local t = nil; t.field = 1';\n    }\n}\n")
    s = tcplua(conf)  # process_by_lua is on line 8 (4 MAIN lines first)
    assert s.connect().recv_all() == b"x"
    s.wait_log(r"\[error\] .*lua entry thread aborted: runtime error: process_by_lua\(tcplua\.conf:8\):1: "
               r"attempt to index local 't' \(a nil value\)")


def test_error_with_non_string_value_still_closes(tcplua):
    s = tcplua(lua_server('ngx.print("p") error({code = 1})'))
    assert s.connect().recv_all() == b"p"
    s.wait_log(r"\[error\] .*lua entry thread aborted: runtime error")


def test_process_by_lua_string_directive(tcplua):
    conf = "tcp {\n    server {\n        listen 127.0.0.1:$PORT;\n        process_by_lua 'ngx.say(\"inline\")';\n    }\n}\n"
    s = tcplua(conf)
    assert s.connect().recv_all() == b"inline\n"


def test_stream_content_by_lua_block(tcplua):
    conf = ("stream {\n    server {\n        listen 127.0.0.1:$PORT;\n        content_by_lua_block {\n"
            "            local d = ngx.receive(3) ngx.say(\"stream \", d)\n        }\n    }\n}\n")
    s = tcplua(conf)
    c = s.connect()
    c.send("abc")
    assert c.recv_all() == b"stream abc\n"


def test_block_with_braces_in_strings_and_comments(tcplua):
    s = tcplua(lua_server('-- a comment with } and {\nlocal t = {"}", [[{]]} ngx.say(t[1], t[2], "}")'))
    assert s.connect().recv_all() == b"}{}\n"


def test_two_servers_in_one_tcp_block(tcplua):
    port2 = free_port()
    conf = ("tcp {\n    server {\n        listen 127.0.0.1:$PORT;\n        process_by_lua 'ngx.say(\"one\")';\n    }\n"
            f"    server {{\n        listen 127.0.0.1:{port2};\n        process_by_lua 'ngx.say(\"two\")';\n    }}\n}}\n")
    s = tcplua(conf)
    s.wait_listening(port2)
    assert Client(port2).recv_all() == b"two\n"
    assert s.connect().recv_all() == b"one\n"


def test_protocol_demo_echoes_frames_with_the_seeds_lengths(tcplua):
    import struct
    conf = "tcp {\n server {\n listen 127.0.0.1:$PORT;\n protocol demo;\n client_max_body_size 16;\n }\n server {\n" \
           " listen 127.0.0.1:$PORT2;\n protocol demo;\n demo_echo 'pong';\n }\n}\n"
    from conftest import free_port
    port2 = free_port()
    s = tcplua(conf.replace("$PORT2", str(port2)))
    c = s.connect()
    c.send(struct.pack(">I", 5) + b"hello")
    assert c.recv_exact(9) == struct.pack(">I", 9) + b"hello"
    c.send(struct.pack(">I", 4) + b"abcd")
    assert c.recv_exact(8) == struct.pack(">I", 8) + b"abcd"
    c.send(struct.pack(">I", 17) + b"x" * 17)  # over client_max_body_size: closed
    assert c.is_closed()
    s.wait_listening(port2)
    import socket as _s
    d = _s.create_connection(("127.0.0.1", port2), timeout=5)
    d.sendall(struct.pack(">I", 6) + b"ignore")
    assert d.recv(64) == struct.pack(">I", 8) + b"pong"
