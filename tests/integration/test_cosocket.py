"""ngx.socket.tcp against real upstream servers on loopback: connect, send, receive, close."""
import time


from conftest import lua_server
from upstream import echo, free_port


def run(tcplua, code, extra_server="", extra_tcp=""):
    """Starts a server whose handler waits for the client's first byte, then runs `code`."""
    s = tcplua(lua_server('if not ngx.receive(1) then return end\n' + code, extra_server, extra_tcp))
    c = s.connect()
    c.send("x")
    return s, c.recv_all().decode()


def test_connect_send_receive_close(tcplua, upstream):
    u = upstream(echo)
    s, out = run(tcplua, f'''
        local sock = ngx.socket.tcp()
        local ok, err = sock:connect("127.0.0.1", {u.port})
        ngx.say("connect: ", ok, " ", err)
        ngx.say("send: ", sock:send("hello"))
        ngx.say("receive: ", sock:receive(5))
        ngx.say("close: ", sock:close())
        ngx.say("close again: ", sock:close())
    ''')
    assert out == "connect: 1 nil\nsend: 5\nreceive: hello\nclose: 1\nclose again: nilclosed\n"


def scripted(lines):
    """An upstream that sends `lines` (bytes) after reading one byte, then closes."""
    def handler(c):
        c.recv(1)
        for chunk in lines:
            c.sendall(chunk)
            time.sleep(0.02)
    return handler


CONNECT = 'local sock = ngx.socket.tcp() sock:settimeout(2000) assert(sock:connect("127.0.0.1", {port})) sock:send("g")\n'


def test_receive_forms(tcplua, upstream):
    u = upstream(scripted([b"line one\r\nline", b" two\nabcdefghij", b"XYZ--boundary--tail", b"rest of it"]))
    _, out = run(tcplua, CONNECT.format(port=u.port) + '''
        ngx.say("[", sock:receive(), "]")
        ngx.say("[", sock:receive("*l"), "]")
        ngx.say("[", sock:receive(4), "]")
        ngx.say("[", sock:receive(10, 2), "]")
        local it = sock:receiveuntil("--boundary--")
        ngx.say("[", it(), "]")
        ngx.say("[", sock:receive("*a"), "]")
        ngx.say(sock:receive(1))
        ngx.say(sock:receive())
    ''')
    assert out == ("[line one]\n[line two]\n[abcd]\n[efghij]\n[XYZ]\n[tailrest of it]\n"
                   "nilclosed\nnilclosed\n")


def test_receive_at_least_returns_early(tcplua, upstream):
    u = upstream(scripted([b"abc", b"defghijkl"]))
    _, out = run(tcplua, CONNECT.format(port=u.port) + '''
        ngx.say(sock:receive(100, 2))
        ngx.say(sock:receive(0))
        ngx.say(sock:receiveany(5))
        ngx.say(sock:receiveany(100))
    ''')
    assert out == "abc\n\ndefgh\nijkl\n"


def test_receiveuntil_sized_and_inclusive(tcplua, upstream):
    u = upstream(scripted([b"0123456789END", b"abEND", b"zz"]))
    _, out = run(tcplua, CONNECT.format(port=u.port) + '''
        local it = sock:receiveuntil("END")
        while true do
            local d, err = it(4)
            if not d then ngx.say("end ", tostring(err)) break end
            ngx.say("chunk ", d)
        end
        local inc = sock:receiveuntil("END", {inclusive = true})
        ngx.say(inc())
        ngx.say(inc())
    ''')
    assert out == "chunk 0123\nchunk 4567\nchunk 89\nend nil\nabEND\nnilclosedzz\n"


def test_receive_timeout_keeps_socket_usable(tcplua, upstream):
    def slow(c):
        c.recv(1)
        c.sendall(b"ab")
        time.sleep(0.6)
        c.sendall(b"cd\n")
        time.sleep(0.5)
    u = upstream(slow)
    s, out = run(tcplua, f'''
        local sock = ngx.socket.tcp()
        assert(sock:connect("127.0.0.1", {u.port}))
        sock:send("g")
        sock:settimeout(200)
        local t0 = ngx.now()
        ngx.say(sock:receive(5))
        ngx.update_time()
        ngx.say(ngx.now() - t0 < 1)
        sock:settimeout(2000)
        ngx.say(sock:receive())
    ''')
    assert out == "niltimeoutab\ntrue\ncd\n"
    assert s.log_lines(r"\[error\].*lua tcp socket read timed out")


def test_connect_refused_and_bad_args(tcplua):
    port = free_port()
    s, out = run(tcplua, f'''
        local sock = ngx.socket.tcp()
        ngx.say(sock:connect("127.0.0.1", {port}))
        ngx.say(sock:send("x"))
        ngx.say(sock:receive(1))
        ngx.say(sock:close())
        ngx.say(pcall(sock.connect, sock, "127.0.0.1", 70000))
        ngx.say(pcall(sock.receive, sock, "*x"))
        ngx.say(pcall(sock.connect, sock))
        ngx.say(sock:connect("example.invalid", 80))
        ngx.say(pcall(sock.receiveuntil, sock, ""))
    ''')
    lines = out.splitlines()
    assert lines[0] == "nilconnection refused"
    assert lines[1:4] == ["nilclosed", "nilclosed", "nilclosed"]
    assert lines[4] == "truenilbad port number: 70000"  # soft, as ngx_lua's connect
    assert lines[5].startswith("false") and "bad pattern argument: *x" in lines[5]
    assert lines[6].startswith("false")
    assert lines[7] == 'nilno resolver defined to resolve "example.invalid"'
    assert lines[8] == "truenilpattern is empty"  # soft, as ngx_lua's receiveuntil
    assert s.log_lines(r"\[error\].*connect\(\) to 127.0.0.1:%d failed \(111: Connection refused\)" % port)


def test_connect_timeout_logs_and_returns_timeout(tcplua):
    # A listener whose accept queue is full and never accepted: the kernel drops further SYNs.
    import socket as pysock
    full = pysock.socket()
    full.bind(("127.0.0.1", 0))
    full.listen(0)
    port = full.getsockname()[1]
    fillers = []
    for _ in range(4):
        f = pysock.socket()
        f.setblocking(False)
        f.connect_ex(("127.0.0.1", port))
        fillers.append(f)
    time.sleep(0.1)
    try:
        s, out = run(tcplua, f'''
            local sock = ngx.socket.tcp()
            sock:settimeout(150)
            local t0 = ngx.now()
            local ok, err = sock:connect("127.0.0.1", {port})
            ngx.update_time()
            ngx.say(tostring(ok), " ", err, " ", ngx.now() - t0 < 2)
        ''')
    finally:
        for f in fillers:
            f.close()
        full.close()
    assert out == "nil timeout true\n"
    assert s.log_lines(r"\[error\].*lua tcp socket connect timed out, when connecting to 127.0.0.1:%d" % port)


def test_reset_mid_reply(tcplua, upstream):
    import socket as pysock
    import struct

    def reset(c):
        c.recv(1)
        c.sendall(b"part")
        time.sleep(0.1)
        c.setsockopt(pysock.SOL_SOCKET, pysock.SO_LINGER, struct.pack("ii", 1, 0))
        c.close()
    u = upstream(reset)
    _, out = run(tcplua, CONNECT.format(port=u.port) + '''
        ngx.say(sock:receive(10))
        ngx.say(sock:receive(1))
    ''')
    assert out == "nilconnection reset by peerpart\nnilclosed\n"


def test_send_nested_tables_and_values(tcplua, upstream):
    u = upstream(echo)
    _, out = run(tcplua, f'''
        local sock = ngx.socket.tcp()
        assert(sock:connect("127.0.0.1", {u.port}))
        ngx.say(sock:send({{"a", {{"b", 1}}, 2.5}}))
        ngx.say(sock:receive(6))
        ngx.say(pcall(sock.send, sock, {{x = 1}}))
        ngx.say(pcall(sock.send, sock, {{"a", true}}))  -- strict inside a table, as ngx_lua's send
    ''')
    lines = out.splitlines()
    assert lines[:2] == ["6", "ab12.5"]
    assert lines[2].startswith("false")
    assert lines[3] == "falsebad argument #2 to 'send' (bad data type boolean found)"


def test_big_send_and_receive(tcplua, upstream):
    u = upstream(echo)
    _, out = run(tcplua, f'''
        local sock = ngx.socket.tcp()
        assert(sock:connect("127.0.0.1", {u.port}))
        local big = string.rep("0123456789", 300000)
        ngx.say(sock:send(big))
        local got = sock:receive(#big)
        ngx.say(#got, " ", got == big)
    ''')
    assert out == "3000000\n3000000 true\n"


def test_socket_from_another_session_is_bad_request(tcplua, upstream):
    u = upstream(echo)
    s = tcplua(lua_server(f'''
        if not ngx.receive(1) then return end
        if not _G.saved then
            _G.saved = ngx.socket.tcp()
            ngx.say("saved")
            return
        end
        ngx.say(pcall(_G.saved.connect, _G.saved, "127.0.0.1", {u.port}))
    '''))
    c = s.connect()
    c.send("x")
    assert c.recv_all() == b"saved\n"
    c = s.connect()
    c.send("x")
    out = c.recv_all().decode()
    assert out.startswith("false") and "bad request" in out


def test_result_counts_are_openresty_s(tcplua, upstream):
    u = upstream(scripted([b"abc\n"]))
    _, out = run(tcplua, f'''
        local sock = ngx.socket.tcp()
        sock:settimeout(300)
        ngx.say(select("#", sock:connect("127.0.0.1", {u.port})))
        ngx.say(select("#", sock:send("g")))
        ngx.say(select("#", sock:receive()))
        ngx.say(select("#", sock:receive(10)))  -- the upstream closed: nil, "closed", partial
        ngx.say(select("#", sock:receive(1)))   -- the socket is closed now: nil, "closed"
        ngx.say(select("#", sock:send("x")))
    ''')
    assert out == "1\n1\n1\n3\n2\n2\n"


def test_where_it_cannot_yield_a_call_that_can_answer_at_once_answers_and_only_a_wait_raises(tcplua, upstream):
    # As OpenResty's: inside a gsub callback a receiveany (the classic path) with bytes buffered returns them,
    # a finished light thread's results come back, and a receive that has to wait or a sleep raises, leaving
    # nothing armed (the socket and the thread go on as usual); a spawn always yields, so it raises at once.
    u = upstream(echo)
    s, out = run(tcplua, f'''
        local function inside(f) return pcall(string.gsub, "a", "a", f) end
        local sock = ngx.socket.tcp()
        assert(sock:connect("127.0.0.1", {u.port}))
        sock:send("hello")
        ngx.say("first: ", sock:receive(1))
        ngx.say("receiveany: ", inside(function() return sock:receiveany(10) end))
        ngx.say("receive: ", inside(function() return sock:receive(2) end))
        local th = ngx.thread.spawn(function() return "done" end)
        ngx.say("wait: ", inside(function() local ok, r = ngx.thread.wait(th) return r end))
        ngx.say("sleep: ", inside(function() ngx.sleep(0.01) end))
        ngx.say("spawn: ", inside(function() ngx.thread.spawn(function() end) end))
        ngx.sleep(0.02)
        sock:send("again")
        ngx.say("then: ", sock:receive(5))
    ''')
    cannot = "falseattempt to yield across C-call boundary"
    assert out == (f"first: h\nreceiveany: trueello1\nreceive: {cannot}\nwait: truedone1\nsleep: {cannot}\n"
                   f"spawn: {cannot}\nthen: again\n")


def test_a_receive_that_must_wait_where_it_cannot_yield_is_the_classic_error_and_the_socket_still_works(tcplua, upstream):
    # the fast path's park checks the coroutine can yield before it parks: inside a gsub callback it declines,
    # the classic receive raises, nothing is left armed, and the same socket then waits as usual
    u = upstream(echo)
    s, out = run(tcplua, f'''
        local sock = ngx.socket.tcp()
        assert(sock:connect("127.0.0.1", {u.port}))
        local ok, err = pcall(string.gsub, "a", "a", function() return sock:receive(2) end)
        ngx.say(tostring(ok), " ", err)
        sock:send("hi")
        ngx.say("receive: ", sock:receive(2))
        local co = coroutine.wrap(function() return sock:receive(3) end)  -- from a user coroutine: classic
        sock:send("abc")
        ngx.say("in a coroutine: ", co())
    ''')
    assert out == "false attempt to yield across C-call boundary\nreceive: hi\nin a coroutine: abc\n"
