"""ngx.socket.tcp(): the Lua layer over the FFI fast paths and the classic methods must answer as OpenResty's
cosocket does (api-survey.md 2.3, and stream-lua's C for what the survey leaves out) and as the seed's
receive(total, at_least) does: the same values and their count, the same argument checks, the same bytes on
the wire. Each case here answered otherwise (found by black-box probes)."""
import time

from conftest import lua_file_server
from upstream import echo

GATE = "if not ngx.receive(1) then return end\n"  # the probe connection of wait_listening runs nothing


def show(expr):
    """Lua that says `n=<count> v1 v2 ...` for the values of `expr` (strings quoted)."""
    return (
        "do local function f(...) local t = {'n=' .. select('#', ...)} for i = 1, select('#', ...) do "
        "local v = (select(i, ...)) t[#t + 1] = type(v) == 'string' and ('%q'):format(v) or tostring(v) end "
        f"return table.concat(t, ' ') end ngx.say(f({expr})) end\n"
    )


def connect(port):
    return (f'local sock = ngx.socket.tcp() sock:settimeout(1000) assert(sock:connect("127.0.0.1", {port}))\n')


def buffered(data):
    """Has the echo upstream send `data` back and waits until it is there (a receive then takes the fast path)."""
    return f'assert(sock:send("{data}")) ngx.sleep(0.05)\n'


def run(tcplua, code):
    s = tcplua(lua_file_server("h.lua"), files={"h.lua": GATE + code})
    c = s.connect(timeout=10)
    c.send(b"x")
    out = c.recv_all().decode()
    c.close()
    return out.splitlines()


# --- a receiveuntil iterator of a closed socket: nil, "closed" (two values), as receive and OpenResty's iterator ---

def test_receiveuntil_iterator_of_a_closed_socket_returns_two_values(tcplua, upstream):
    u = upstream(echo)
    lines = run(tcplua, connect(u.port) + "local it = sock:receiveuntil('X') sock:close()\n"
                + show("it()") + show("it(4)") + show("sock:receive(1)"))
    assert lines == ['n=2 nil "closed"', 'n=2 nil "closed"', 'n=2 nil "closed"']


# --- a sized iterator that met its pattern ends with nil, nil (api-survey: "returns nil,nil at the end") ---

def test_sized_receiveuntil_iterator_ends_with_nil_nil(tcplua, upstream):
    u = upstream(echo)
    lines = run(tcplua, connect(u.port) + buffered("abEND") + "local it = sock:receiveuntil('END')\n"
                + show("it(10)") + show("it(10)"))
    assert lines[0] == 'n=1 "ab"'
    n, *values = lines[1].split(" ")
    assert int(n[2:]) >= 2 and values == ["nil"] * len(values), lines[1]


# --- send(data) takes one argument (OpenResty: "expecting 2 arguments (including the object), but got N"); the
#     layer handed two to the classic send, which sent the first. (A missing argument is a nil one to the layer's
#     fixed arities: send() sends "nil", as send(nil) does.) The same for receive, receiveany and connect. ---

def test_extra_arguments_are_refused_and_nothing_is_sent(tcplua, upstream):
    u = upstream(echo)
    lines = run(tcplua, connect(u.port)
                + show("pcall(sock.send, sock, 'a', 'b')") + show("pcall(sock.receive, sock, 1, 1, 1)")
                + show("pcall(sock.receiveany, sock, 1, 1)")
                + buffered("ok") + show("sock:receive(2)") + "sock:settimeout(100)\n" + show("sock:receive(1)"))
    assert lines == [
        'n=2 false "expecting 2 arguments (including the object), but got 3"',
        'n=2 false "expecting 1, 2 or 3 arguments (including the object), but got 4"',
        'n=2 false "expecting 2 arguments (including the object), but got 3"',
        'n=1 "ok"',
        'n=3 nil "timeout" ""',
    ]


# --- receive(total, at_least): the seed takes both as integers (lua_tointeger) before comparing them ---

def test_receive_at_least_is_truncated_before_it_is_compared(tcplua, upstream):
    # The seed: bytes = lua_tointeger(2), bytes_atleast = lua_tointeger(3), an error only for at_least < 1 or
    # at_least > bytes. 3.5 is 3 there (3 <= 3); tcplua compared 3.5 with the total and raised.
    u = upstream(echo)
    lines = run(tcplua, connect(u.port) + buffered("abcdef")
                + show("pcall(sock.receive, sock, 3, 3.5)") + show("pcall(sock.receive, sock, 3.2, 3.9)"))
    assert lines == ['n=2 true "abc"', 'n=2 true "def"']


def test_receive_of_a_negative_fraction_is_receive_of_zero(tcplua, upstream):
    # OpenResty: bytes = lua_tointeger(L, 2) (-0.5 -> 0), then `bytes < 0` is the error and 0 returns "".
    u = upstream(echo)
    lines = run(tcplua, connect(u.port) + buffered("ab") + show("pcall(sock.receive, sock, -0.5)")
                + show("sock:receive(2)"))
    assert lines == ['n=2 true ""', 'n=1 "ab"']


# --- patterns: "*l" and "*a" only; any other string is "bad pattern argument: %s" (api-survey 2.3) ---

def test_receive_pattern_other_than_star_l_or_star_a_is_refused(tcplua, upstream):
    u = upstream(echo)
    lines = run(tcplua, connect(u.port) + buffered("line\\n")
                + "local ok, err = pcall(sock.receive, sock, '*line') ngx.say(tostring(ok), ' ', tostring(err))\n"
                + "ok, err = pcall(sock.receive, sock, '*all') ngx.say(tostring(ok), ' ', tostring(err))\n"
                + show("sock:receive()"))
    assert lines[0].startswith("false ") and "bad pattern argument: *line" in lines[0], lines
    assert lines[1].startswith("false ") and "bad pattern argument: *all" in lines[1], lines
    assert lines[2] == 'n=1 "line"'


# --- number-like strings and fractions where OpenResty takes lua_isnumber / luaL_checkinteger ---

def test_receiveany_takes_a_numeric_string(tcplua, upstream):
    # OpenResty's receiveany: lua_isnumber(L, 2) (true for "3"), then lua_tointeger.
    u = upstream(echo)
    lines = run(tcplua, connect(u.port) + buffered("abcdef") + show("pcall(sock.receiveany, sock, '3')"))
    assert lines == ['n=2 true "abc"']


def test_receiveuntil_iterator_size_below_one_reads_to_the_pattern(tcplua, upstream):
    # OpenResty's iterator: bytes = luaL_checkinteger(L, 1), a negative one is 0, and 0 is no size: the data
    # before the pattern. A numeric string is a number there too.
    u = upstream(echo)
    lines = run(tcplua, connect(u.port) + "local it = sock:receiveuntil('END')\n"
                + buffered("abEND") + show("pcall(it, 0)")
                + buffered("cdEND") + show("pcall(it, 0.5)")
                + buffered("efEND") + show("pcall(it, -1)")
                + buffered("ghijEND") + show("pcall(it, '2')"))
    assert lines == ['n=2 true "ab"', 'n=2 true "cd"', 'n=2 true "ef"', 'n=2 true "gh"']
