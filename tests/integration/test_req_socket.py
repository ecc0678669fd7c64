"""ngx.req.socket(): the client connection as a cosocket in stream {} content_by_lua_block handlers."""
import socket
import time


def stream(code, extra=""):
    return ("stream {\n    server {\n        listen 127.0.0.1:$PORT;\n" + extra
            + "\n        content_by_lua_block {\n" + code + "\n        }\n    }\n}\n")


def test_receive_forms_and_send(tcplua):
    s = tcplua(stream('''
        local sock = assert(ngx.req.socket(true))
        local line = sock:receive()
        local five = sock:receive(5)
        local l2 = sock:receive("*l")
        sock:send({"line=", line, " five=", five, " l2=", l2, " ", 42, " ", "true", {{"\\n"}}})  -- strict: no booleans inside
        local rest, err = sock:receive("*a")
        sock:send("rest=" .. rest)
    '''))
    c = s.connect()
    c.send(b"hello\r\nabcdefirst\nthe end")
    c.shutdown_write()
    assert c.recv_all() == b"line=hello five=abcde l2=first 42 true\nrest=the end"


def test_closed_with_partial(tcplua):
    s = tcplua(stream('''
        local sock = ngx.req.socket()
        local data, err, partial = sock:receive(10)
        ngx.say("receive: ", data, " ", err, " [", partial, "]")
        data, err, partial = sock:receive()
        ngx.say("line: ", data, " ", err, " [", partial, "]")
    '''))
    c = s.connect()
    c.send(b"abc")
    c.shutdown_write()
    assert c.recv_all() == b"receive: nil closed [abc]\nline: nil closed []\n"


def test_read_timeout_leaves_socket_usable(tcplua):
    s = tcplua(stream('''
        local sock = ngx.req.socket(true)
        sock:settimeout(100)
        local data, err, partial = sock:receive(10)
        sock:send("1: " .. tostring(data) .. " " .. err .. " [" .. partial .. "]\\n")
        sock:settimeouts(1000, 1000, 2000)
        data, err = sock:receive(3)
        sock:send("2: " .. tostring(data) .. "\\n")
    '''))
    c = s.connect()
    c.send(b"ab")
    assert c.recv_line() == "1: nil timeout [ab]\n"
    c.send(b"xyz")
    assert c.recv_all() == b"2: xyz\n"


def test_receiveuntil_and_receiveany(tcplua):
    s = tcplua(stream('''
        local sock = ngx.req.socket(true)
        local until_sep = sock:receiveuntil("--sep")
        local incl = sock:receiveuntil("\\r\\n", {inclusive = true})
        local a = until_sep()
        local b = incl()
        local it = sock:receiveuntil("END")
        local chunks = {}
        while true do
          local d, err, partial = it(3)
          if not d then break end
          if d == "" then break end
          chunks[#chunks + 1] = d
        end
        local any = sock:receiveany(100)
        ngx.say("a=", a, " b=", (b:gsub("\\r\\n", "CRLF")), " chunks=", table.concat(chunks, "|"), " any=", any)
        local d, err, partial = until_sep()
        ngx.say("until: ", d, " ", err, " [", partial, "]")
    '''))
    c = s.connect()
    c.send(b"first--sepsecond\r\n1234567END")
    time.sleep(0.1)
    c.send(b"tail")
    time.sleep(0.1)
    c.send(b"xx--s")
    c.shutdown_write()
    assert c.recv_all() == b"a=first b=secondCRLF chunks=123|456|7 any=tail\nuntil: nil closed [xx--s]\n"


def test_mixes_with_ngx_receive_and_print(tcplua):
    s = tcplua(stream('''
        local d1 = ngx.receive(2)
        local sock = ngx.req.socket()
        local d2 = sock:receive(2)
        local d3 = ngx.receive(2)
        ngx.print("print:", d1, d3, ";")
        local n, err = sock:send("send:" .. d2 .. ";")
        ngx.say(" n=", n)
        local again, err2 = ngx.req.socket()
        ngx.say("second call: ", again, " ", err2)
    '''))
    c = s.connect()
    c.send(b"aabbcc")
    assert c.recv_all() == b"print:aacc;send:bb; n=8\nsecond call: nil duplicate call\n"


def test_send_waits_for_slow_client(tcplua):
    s = tcplua(stream('''
        local sock = ngx.req.socket(true)
        if not sock:receive(1) then return end  -- not the harness's probe connection
        local n, err = sock:send(string.rep("x", 4 * 1024 * 1024))
        ngx.log(ngx.ERR, "sent: ", n, " ", err)
    '''))
    c = s.connect()
    c.send(b"x")
    time.sleep(0.3)
    assert "sent:" not in s.error_log()  # the kernel buffers cannot hold 4 MiB: the send is still waiting
    got = 0
    while True:
        b = c.sock.recv(65536)
        if not b:
            break
        got += len(b)
    assert got == 4 * 1024 * 1024
    s.wait_log(r"sent: 4194304 nil")


def test_bad_arguments_raise(tcplua):
    s = tcplua(stream('''
        local sock = ngx.req.socket()
        ngx.say(pcall(sock.receive, sock, "*x"))
        ngx.say(pcall(sock.receiveuntil, sock, ""))
        ngx.say(pcall(sock.send, sock, {a = 1}))
        ngx.say(pcall(sock.receive, {}))
        ngx.say(pcall(ngx.req.socket, 1, 2))
    '''))
    out = s.connect().recv_all().decode()
    lines = out.splitlines()
    assert lines[0].startswith("false") and "bad pattern argument" in lines[0], out
    assert lines[1] == "truenilpattern is empty", out  # soft, as ngx_lua's receiveuntil
    assert lines[2].startswith("false") and "non-array table" in lines[2], out
    assert lines[3].startswith("false") and "socket object expected" in lines[3], out
    assert lines[4] == "falseexpecting zero arguments, but got 2", out
