"""ngx.print / ngx.say: argument kinds, return values, argument errors, large outputs, slow readers."""
import pathlib
import re
import socket
import time

from conftest import lua_server


def test_print_mixed_arguments(tcplua):
    s = tcplua(lua_server('ngx.print("hello world",21,nil,true,false,{"a","b"})'))
    assert s.connect().recv_all() == b"hello world21niltruefalseab"


def test_say_appends_newline_and_numbers_format_like_lua(tcplua):
    s = tcplua(lua_server('ngx.say("x", 3.5, -7, 1e3) ngx.say() ngx.say("y")'))
    assert s.connect().recv_all() == b"x3.5-71000\n\ny\n"


def test_null_and_nested_array_tables(tcplua):
    s = tcplua(lua_server('ngx.say(ngx.null, "|", {"a", {"b", {"c", 1}}, ngx.null}, "|", {})'))
    assert s.connect().recv_all() == b"null|abc1null|\n"


def test_print_and_say_return_bytes_and_ok(tcplua):
    s = tcplua(lua_server(
        'local a, b = ngx.say("abc") local c, d = ngx.print("hello") local e, f = ngx.print({"xy", 12})\n'
        'ngx.say(" ", a, " ", b, " ", c, " ", d, " ", e, " ", f)'))
    assert s.connect().recv_all() == b"abc\nhelloxy12 4 ok 5 ok 4 ok\n"


def test_hash_table_argument_is_an_error(tcplua):
    s = tcplua(lua_server(
        'local ok, err = pcall(function() ngx.print("a", {a = 1}) end) ngx.say(tostring(ok), "|", err)'))
    out = s.connect().recv_all().decode()
    assert out.startswith("false|"), out
    assert "non-array table found" in out
    assert not out.startswith("afalse")  # nothing of the failed call was sent


def test_function_argument_is_an_error(tcplua):
    s = tcplua(lua_server(
        'local ok, err = pcall(function() ngx.print(function() end) end) ngx.say(tostring(ok), "|", err)'))
    out = s.connect().recv_all().decode()
    assert out.startswith("false|bad argument #1 to 'print' ("), out


def test_uncaught_output_error_aborts_only_that_session(tcplua):
    s = tcplua(lua_server('ngx.say("one") ngx.say({a = 1}) ngx.say("two")'))
    assert s.connect().recv_all() == b"one\n"
    s.wait_log(r"\[error\] .*lua entry thread aborted: runtime error: .*non-array table found")
    assert s.connect().recv_all() == b"one\n"


def test_one_megabyte_in_one_call(tcplua):
    s = tcplua(lua_server('ngx.print(string.rep("x", 1048575), "!")'))
    c = s.connect(timeout=10)
    data = c.recv_all()
    assert len(data) == 1048576
    assert data == b"x" * 1048575 + b"!"


def test_one_megabyte_from_many_says_in_order(tcplua):
    s = tcplua(lua_server(
        'for i = 1, 1024 do ngx.say(string.format("%06d", i), string.rep("y", 1017)) end'))
    c = s.connect(timeout=10)
    data = c.recv_all()
    expected = b"".join(b"%06d" % i + b"y" * 1017 + b"\n" for i in range(1, 1025))
    assert len(data) == len(expected) == 1048576
    assert data == expected


SLOW = r'''
local mode = ngx.receive(1)
if mode ~= "s" then
    ngx.say("fast ", mode)
    return
end
local chunk = string.rep("z", 65536)
local total = 0
while total < 64 * 1048576 do
    local n, err = ngx.print(chunk)
    if not n then
        ngx.log(ngx.ERR, "print failed: ", err, " after ", total)
        return
    end
    total = total + n
end
ngx.log(ngx.ERR, "never timed out after ", total)
'''


def _kernel_bound(client_rcvbuf):
    wmem_max = int(pathlib.Path("/proc/sys/net/ipv4/tcp_wmem").read_text().split()[2])
    return wmem_max + 4 * client_rcvbuf + 64 * 1024 + 65536


def test_send_timeout_on_client_that_never_reads(tcplua):
    s = tcplua(lua_server(SLOW, "send_timeout 300ms;"))
    slow = socket.socket()
    slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 32768)
    rcvbuf = slow.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF)
    slow.settimeout(5)
    slow.connect(("127.0.0.1", s.port))
    try:
        slow.sendall(b"s")
        # while the first session is stuck writing, another connection is served
        time.sleep(0.05)
        fast = s.connect()
        fast.send("f")
        assert fast.recv_all() == b"fast f\n"
        m = s.wait_log(r"\[error\] .*\[lua\] \S+:\d+: print failed: timeout after (\d+), client: 127\.0\.0\.1",
                       timeout=8)
        total = int(m.group(1))
        assert total < _kernel_bound(rcvbuf), (total, rcvbuf)
        assert "never timed out" not in s.error_log()
    finally:
        slow.close()


def test_slow_reader_eventually_gets_everything(tcplua):
    n = 4 * 1048576
    s = tcplua(lua_server(f'local n = ngx.print(string.rep("q", {n})) ngx.log(ngx.ERR, "sent ", n)',
                          "send_timeout 5s;"))
    c = s.connect(timeout=10)
    time.sleep(0.3)  # let the server fill the kernel buffers and wait for the client
    data = c.recv_all()
    assert data == b"q" * n
    s.wait_log(rf"\[lua\] \S+:\d+: sent {n}, client")


def test_print_to_closed_client_returns_nil_and_error(tcplua):
    s = tcplua(lua_server(
        'ngx.receive(1) ngx.sleep(0.2)\n'
        'local n, err for i = 1, 50 do n, err = ngx.say("x") if not n then break end ngx.sleep(0.01) end\n'
        'ngx.log(ngx.ERR, "result ", tostring(n), " ", tostring(err))'))
    c = s.connect()
    c.send("a")
    c.close()
    m = s.wait_log(r"\[lua\] \S+:\d+: result (\S+) (\S+), client", timeout=5)
    assert m.group(1) == "nil", m.group(0)
    assert m.group(2) != "nil" and re.match(r"[a-z ]+", m.group(2)), m.group(0)
