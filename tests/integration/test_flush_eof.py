"""ngx.flush(wait?), ngx.eof() and the client socket's peek(n) and shutdown("send"), in stream {} configs."""
import socket
import time


def stream(code):
    return ("stream {\n    server {\n        listen 127.0.0.1:$PORT;\n"
            "        content_by_lua_block {\n" + code + "\n        }\n    }\n}\n")


def slow_client(port):
    """A client with a small receive buffer, so the server's output waits for it to read."""
    c = socket.socket()
    c.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 2048)
    c.connect(("127.0.0.1", port))
    c.settimeout(5)
    return c


def read_all(c):
    out = b""
    while True:
        b = c.recv(65536)
        if not b:
            return out
        out += b


FLUSH = '''
local sock = ngx.req.socket()
local mode = sock:receive(1)
if not mode then return end  -- the harness's readiness probe
local wait = mode == "w"
-- fill the kernel's buffers and ours: where nothing can yield (a gsub callback) print does not wait, it
-- keeps the bytes buffered (4 MiB: more than the loopback socket buffers take from a client reading nothing)
local chunk, n = string.rep("x", 16384), 0
string.gsub("x", "x", function()
  for i = 1, 256 do if ngx.print(chunk) then n = n + 1 end end
end)
ngx.log(ngx.ERR, "buffered ", n)
ngx.update_time()
local t0 = ngx.now()
local ok, err = ngx.flush(wait)
ngx.update_time()
ngx.log(ngx.ERR, "flush ", tostring(wait), " returned ", tostring(ok), " ", tostring(err), " after ", ngx.now() - t0)
'''


def test_flush_true_waits_until_the_client_took_every_byte(tcplua):
    s = tcplua(stream(FLUSH))
    for mode, waits in ((b"w", True), (b"n", False)):
        c = slow_client(s.port)
        c.sendall(mode)
        time.sleep(0.6)  # not reading: the output cannot all be sent
        n = int(s.wait_log(r"buffered (\d+)").group(1))
        got = read_all(c)
        assert len(got) == 16384 * n and got == b"x" * len(got), (len(got), n)
        m = s.wait_log(rf"flush {str(waits).lower()} returned 1 nil after ([\d.]+)")
        elapsed = float(m.group(1))
        if waits:
            assert elapsed >= 0.4, elapsed
        else:
            assert elapsed < 0.4, elapsed
        c.close()
        s.proc  # next round: fresh log marks
        open(s.prefix / "logs" / "error.log", "w").close()


def test_flush_arguments(tcplua):
    s = tcplua(stream('ngx.say(select(2, pcall(ngx.flush, 1))) ngx.say(select(2, pcall(ngx.flush, true, 2)))'
                      ' ngx.say(ngx.flush(), " ", ngx.flush(true))'))
    assert s.connect().recv_all().decode().splitlines() == [
        "bad argument #1 to 'flush' (boolean expected, got number)",
        "attempt to pass 2 arguments, but accepted 0 or 1", "1 1"]


EOF_CODE = '''
local sock = ngx.req.socket()
ngx.say("bye")
local ok = ngx.eof()
local line = sock:receive()
local a, aerr = ngx.say("late")
local f, ferr = ngx.flush(true)
local e, eerr = ngx.eof()
local p, perr = ngx.print("x")
local s, serr = sock:send("x")
ngx.log(ngx.ERR, "after eof: ", ok, " ", line, " ", tostring(a), " ", aerr, " ", tostring(f), " ", ferr, " ",
        tostring(e), " ", eerr, " ", tostring(p), " ", perr, " ", tostring(s), " ", serr)
'''


def test_eof_shuts_the_write_side_and_later_output_fails(tcplua):
    s = tcplua(stream(EOF_CODE))
    c = s.connect()
    assert c.recv_all() == b"bye\n"  # EOF while the session still runs and reads
    c.send("after\n")
    s.wait_log(r"after eof: 1 after nil seen eof nil seen eof nil seen eof nil seen eof nil closed, client")


def test_peek_leaves_the_bytes_to_receive(tcplua):
    s = tcplua(stream('''
        local sock = ngx.req.socket()
        local a = sock:peek(5)
        local b = sock:peek(3)
        local c = sock:receive(5)
        local d = sock:peek(4)
        local e = sock:receive("*a")
        ngx.say(a, "|", b, "|", c, "|", d, "|", e)
        ngx.say(select(2, pcall(sock.peek, sock, 0)))
    '''))
    c = s.connect()
    c.send("hel")
    time.sleep(0.2)  # peek(5) waits for the rest
    c.send("lo world")
    c.shutdown_write()
    assert c.recv_all().decode().splitlines() == ["hello|hel|hello| wor| world",
                                                  "bad argument #1 to 'peek' (size must be positive)"]


def test_peek_times_out_as_receive(tcplua):
    s = tcplua(stream('''
        local sock = ngx.req.socket()
        sock:settimeout(100)
        local d, err = sock:peek(10)
        ngx.say(tostring(d), " ", err, " ", sock:receive(2))
    '''))
    c = s.connect()
    c.send("ab")
    assert c.recv_all() == b"nil timeout ab\n"


def test_shutdown_send(tcplua):
    s = tcplua(stream('''
        local sock = ngx.req.socket()
        sock:send("one\\n")
        ngx.print("two\\n")
        local ok, err = sock:shutdown("send")
        local ok2, err2 = sock:shutdown("send")
        local line = sock:receive()
        ngx.log(ngx.ERR, "shutdown: ", ok, " ", tostring(err), " ", tostring(ok2), " ", err2, " ", line, " ",
                select(2, pcall(sock.shutdown, sock, "receive")))
    '''))
    c = s.connect()
    assert c.recv_all() == b"one\ntwo\n"
    c.send("still here\n")
    s.wait_log(r'shutdown: 1 nil nil already shutdown still here only "send" direction is supported, client')


def test_receive_all_again_after_the_end(tcplua):
    # "*a" once the client's end was seen and the input buffer given back: "" again (this used to crash)
    s = tcplua(stream('''
        local sock = ngx.req.socket()
        local a = sock:receive("*a")
        local b, err = sock:receive("*a")
        ngx.say(a, "|", b, "|", tostring(err))
    '''))
    c = s.connect()
    c.send("abc")
    c.shutdown_write()
    assert c.recv_all() == b"abc||nil\n"


def test_print_right_after_eof_in_the_same_run_is_refused(tcplua):
    # No yield between the eof and the prints: the Lua layer's buffered print must see the output closed.
    s = tcplua(stream('''
        ngx.say("bye")
        ngx.eof()
        local a, aerr = ngx.say("late")
        local p, perr = ngx.print("x", 1)
        ngx.log(ngx.ERR, "after eof: ", tostring(a), " ", aerr, " ", tostring(p), " ", perr)
    '''))
    assert s.connect().recv_all() == b"bye\n"
    s.wait_log(r"after eof: nil seen eof nil seen eof")
