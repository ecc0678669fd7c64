"""ngx.receive(total, at_least): sizes, split packets, buffering, timeout/closed results, argument errors."""
import time

from conftest import lua_server

RT = "read_timeout 200ms;"


def test_receive_exact_total_echoes_bytes(tcplua):
    s = tcplua(lua_server('local d = ngx.receive(5) ngx.say("[", d, "]")'))
    c = s.connect()
    c.send("hello")
    assert c.recv_all() == b"[hello]\n"


def test_receive_at_least_waits_across_split_packets(tcplua):
    s = tcplua(lua_server('local d, err = ngx.receive(10, 6) ngx.say(#d, ":", d)'))
    c = s.connect()
    c.send("abc")
    time.sleep(0.1)
    c.send("defgh")
    assert c.recv_all() == b"8:abcdefgh\n"


def test_receive_returns_at_most_total_and_keeps_the_rest(tcplua):
    s = tcplua(lua_server('local a = ngx.receive(5) local b = ngx.receive(3) ngx.say(a, "|", b)'))
    c = s.connect()
    c.send("abcdefgh")
    assert c.recv_all() == b"abcde|fgh\n"


def test_receive_at_least_returns_what_is_available(tcplua):
    s = tcplua(lua_server('local d = ngx.receive(100, 2) ngx.say(#d, ":", d)', "read_timeout 2s;"))
    c = s.connect()
    t0 = time.time()
    c.send("abcd")
    assert c.recv_line() == "4:abcd\n"
    assert time.time() - t0 < 1.0  # did not wait for the read timeout


def test_receive_nil_at_least_means_total(tcplua):
    s = tcplua(lua_server('local d, err = ngx.receive(4, nil) ngx.say(tostring(d), " ", tostring(err))', RT))
    c = s.connect()
    c.send("ab")
    time.sleep(0.05)
    c.send("cd")
    assert c.recv_all() == b"abcd nil\n"


def test_receive_timeout_returns_partial(tcplua):
    s = tcplua(lua_server(
        'local d, err, partial = ngx.receive(10) ngx.say(tostring(d), "|", err, "|", partial)', RT))
    c = s.connect()
    c.send("abc")
    t0 = time.time()
    assert c.recv_line() == "nil|timeout|abc\n"
    elapsed = time.time() - t0
    assert 0.15 <= elapsed < 1.5, elapsed


def test_receive_timeout_with_no_data_gives_empty_partial(tcplua):
    s = tcplua(lua_server(
        'local d, err, partial = ngx.receive(3, 1) ngx.say(tostring(d), "|", err, "|[", partial, "]")', RT))
    c = s.connect()
    t0 = time.time()
    assert c.recv_all() == b"nil|timeout|[]\n"
    assert 0.15 <= time.time() - t0 < 1.5


def test_receive_after_timeout_still_works(tcplua):
    s = tcplua(lua_server(
        'local d, err = ngx.receive(2) ngx.say(err) d, err = ngx.receive(2) ngx.say(d)', RT))
    c = s.connect()
    assert c.recv_line() == "timeout\n"
    c.send("xy")
    assert c.recv_all() == b"xy\n"


def test_receive_closed_by_client_returns_partial(tcplua):
    s = tcplua(lua_server(
        'local d, err, partial = ngx.receive(10) ngx.say(tostring(d), "|", err, "|", partial)', "read_timeout 5s;"))
    c = s.connect()
    c.send("ab")
    c.shutdown_write()
    assert c.recv_all() == b"nil|closed|ab\n"


def test_receive_closed_logged_after_full_close(tcplua):
    s = tcplua(lua_server(
        'local d, err, partial = ngx.receive(10) ngx.log(ngx.ERR, "got ", tostring(d), "/", err, "/", partial)',
        "read_timeout 5s;"))
    c = s.connect()
    c.send("xyz")
    time.sleep(0.05)
    c.close()
    s.wait_log(r"\[lua\] .*got nil/closed/xyz, client: 127\.0\.0\.1")


def test_receive_binary_bytes_roundtrip(tcplua):
    s = tcplua(lua_server('local d = ngx.receive(6) ngx.print(d)'))
    c = s.connect()
    data = b"\x00\x01\xff\r\n\x00"
    c.send(data)
    assert c.recv_all() == data


def test_receive_large_total(tcplua):
    n = 300000
    s = tcplua(lua_server(f'local d = ngx.receive({n}) ngx.say(#d, " ", d:sub(1, 3), d:sub(-3))'))
    c = s.connect()
    payload = b"abc" + b"x" * (n - 6) + b"xyz"
    c.send(payload)
    assert c.recv_all() == f"{n} abcxyz\n".encode()


def test_receive_loop_reads_stream_in_chunks(tcplua):
    s = tcplua(lua_server(
        'local parts = {} for i = 1, 4 do parts[i] = ngx.receive(3) end ngx.say(table.concat(parts, ","))'))
    c = s.connect()
    c.send("abcdef")
    time.sleep(0.05)
    c.send("ghijkl")
    assert c.recv_all() == b"abc,def,ghi,jkl\n"


BAD_ARGS = r'''
local function try(...)
    local ok, err = pcall(ngx.receive, ...)
    ngx.say(tostring(ok), "|", tostring(err))
end
try()
try(1, 2, 3)
try("x")
try(5, "y")
try(0)
try(-1)
try(10, 0)
try(10, 11)
'''


def test_receive_bad_arguments_raise_exact_errors(tcplua):
    s = tcplua(lua_server(BAD_ARGS, RT))
    c = s.connect()
    assert c.recv_all().decode().splitlines() == [
        "false|expecting 1 or 2 arguments",
        "false|expecting 1 or 2 arguments",
        "false|expecting number parameter!",
        "false|expecting number parameter!",
        "false|bad argument < 0",
        "false|bad argument < 0",
        "false|bad pattern argument beyond [1,10]",
        "false|bad pattern argument beyond [1,10]",
    ]


def test_receive_uncaught_bad_argument_aborts_session(tcplua):
    s = tcplua(lua_server('ngx.say("before") ngx.receive(0) ngx.say("after")'))
    c = s.connect()
    assert c.recv_all() == b"before\n"
    s.wait_log(r"\[error\] .*lua entry thread aborted: runtime error: .*bad argument < 0")


FRAMED = r'''
local n = 0
while true do
    local head = ngx.receive(4)
    if not head then return end
    local a, b, c, d = head:byte(1, 4)
    local body = ngx.receive(((a * 256 + b) * 256 + c) * 256 + d)
    n = n + 1
    ngx.print(n, ":", #body, ":", body:sub(1, 1), "\n")
    ngx.wait_next_request()
end
'''


def test_requests_that_fill_the_read_buffer_exactly_are_all_served(tcplua):
    # Two 8 KiB requests fill the 16 KiB read buffer to the byte: after the second, nothing is buffered but the
    # socket still holds the next ones, so the wait's park finds them and the handler runs on.
    s = tcplua(lua_server(FRAMED, "access_log off;"))
    c = s.connect()
    frames = b"".join((8188).to_bytes(4, "big") + bytes([97 + i]) * 8188 for i in range(6))
    c.sock.sendall(frames)
    want = b"".join(b"%d:8188:%c\n" % (i + 1, 97 + i) for i in range(6))
    assert c.recv_exact(len(want)) == want
