"""The hot path's Lua layer (Prelude.swift) must behave exactly as the classic C-API path: the same results
(values and their count), the same errors, the same refusals. Each case here takes the fast path where the
classic one raised or answered differently (found by black-box probes)."""
import time

from conftest import gated_stream, lua_server

GATE = "if not ngx.receive(1) then return end\n"  # the probe connection of wait_listening runs nothing


def show(expr):
    """Lua that says `tag n=<count> v1 v2 ...` for the values of `expr`."""
    return (
        "do local function f(...) local t = {'n=' .. select('#', ...)} for i = 1, select('#', ...) do "
        "t[#t + 1] = tostring((select(i, ...))) end return table.concat(t, ' ') end "
        f"ngx.say(f({expr})) end\n"
    )


def run(tcplua, code, send=b"xabcdefgh", conf=None):
    s = tcplua(conf or lua_server(GATE + code))
    c = s.connect()
    c.send(send)
    out = c.recv_all().decode()
    c.close()
    return s, out.splitlines()


# --- ngx.receive: both counts are truncated before at_least is checked against the total (the seed's
#     lua_tointeger), whether or not the bytes are buffered ---

def test_receive_counts_are_truncated_before_they_are_compared_when_bytes_are_buffered(tcplua):
    # 2.5, 2.2 is 2, 2 (the fast path compared 2.2 with 2.5, the classic one 2.2 with 2: they disagreed);
    # 2.5, 3.1 is 2, 3: beyond [1,2].
    _, lines = run(tcplua, show("pcall(ngx.receive, 2.5, 2.2)") + show("pcall(ngx.receive, 1.5, 1.9)")
                   + show("pcall(ngx.receive, 2.5, 3.1)") + show("ngx.receive(2)"))
    assert lines == ["n=2 true ab", "n=2 true c", "n=2 false bad pattern argument beyond [1,2]", "n=1 de"]


def test_receive_counts_are_truncated_before_they_are_compared_when_it_waits(tcplua):
    # Nothing buffered: the classic path, which waits for the bytes.
    s = tcplua(lua_server(GATE + show("pcall(ngx.receive, 2.5, 3.1)") + show("pcall(ngx.receive, 2.5, 2.2)")))
    c = s.connect()
    c.send(b"x")
    assert c.recv_line() == "n=2 false bad pattern argument beyond [1,2]\n"
    c.send(b"ab")
    assert c.recv_all() == b"n=2 true ab\n"


# --- where the coroutine cannot yield, a call that can answer at once answers; only a wait raises ---

def test_receive_where_it_cannot_yield_returns_buffered_bytes_and_raises_only_to_wait(tcplua):
    # As OpenResty's receive and tcplua's print: inside a gsub callback the bytes that are there come back, on
    # the fast path (a count under 2^31) and the classic one (2^31) alike; a receive that would have to wait
    # raises "attempt to yield across C-call boundary", and takes nothing.
    _, lines = run(tcplua, show('pcall(string.gsub, "x", "x", function() return ngx.receive(1) end)')
                   + show('pcall(string.gsub, "x", "x", function() return ngx.receive(2^31, 9) end)')
                   + show('pcall(string.gsub, "x", "x", function() return ngx.receive(2^31, 3) end)'))
    assert lines == ["n=3 true a 1", "n=2 false attempt to yield across C-call boundary", "n=3 true bcdefgh 1"]


def test_wait_next_request_where_it_cannot_yield_serves_buffered_bytes_and_raises_only_to_wait(tcplua):
    # With the next bytes buffered the call ends the light session (its access-log line) and returns, as the
    # seed's does; with none it raises before anything ends.
    wnr = 'pcall(string.gsub, "x", "x", function() ngx.wait_next_request() return "w" end)'
    conf = gated_stream(
        'ngx.say("one")\n'
        f'local ok, r = {wnr}\n'
        'ngx.say(tostring(ok), " ", tostring(r), " ", ngx.receive(3))\n'
        f'local ok2, err = {wnr}\n'
        'ngx.say(tostring(ok2), " ", tostring(err))\n',
        extra_stream="log_format lines '$remote_port $bytes_sent';\naccess_log logs/access.log lines;")
    s = tcplua(conf)
    c = s.connect()
    port = c.sock.getsockname()[1]
    c.send(b"xabc")
    assert c.recv_all() == b"one\ntrue w abc\nfalse attempt to yield across C-call boundary\n"
    c.close()
    time.sleep(0.2)
    s.stop()
    lines = [l for l in s.access_log("logs/access.log").splitlines() if l.startswith(f"{port} ")]
    assert lines[0] == f"{port} 4" and len(lines) == 2


# --- results: the classic C functions' own count, whichever way the call went ---

def test_print_and_say_return_two_values_on_every_path(tcplua):
    # ngx.print/say return `bytes, "ok"` (the seed's (n, "ok")); through the Lua layer's classic route (a table,
    # a boolean, nil, more than four arguments) they returned a third value, nil.
    _, lines = run(tcplua,
                   'local n = {select("#", ngx.print("s")), select("#", ngx.print({"t"})), select("#", ngx.print(true)),'
                   ' select("#", ngx.print(nil)), select("#", ngx.say("a", "b", "c", "d", "e"))}\n'
                   'ngx.say("|", table.concat(n, " "))\n')
    assert lines == ["sttruenilabcde", "|2 2 2 2 2"]


def test_print_result_passed_on_has_no_trailing_nil(tcplua):
    # What the client sees: ngx.say(ngx.print({"q"})) sent "q1oknil\n" instead of "q1ok\n".
    _, lines = run(tcplua, 'ngx.say(ngx.print({"q"}))\nngx.say(ngx.print("r"))\n')
    assert lines == ["q1ok", "r1ok"]


def test_print_after_eof_returns_nil_and_seen_eof_only(tcplua):
    # After ngx.eof(), print/say return `nil, "seen eof"` (two values, as ngx.flush and ngx.eof do).
    s = tcplua(lua_server(
        GATE + 'ngx.eof()\n'
        'local a = select("#", ngx.print("x")) local b = select("#", ngx.say({"y"}))\n'
        'local _, err = ngx.print("z")\n'
        'ngx.log(ngx.NOTICE, "counts ", a, " ", b, " ", err)\n'))
    c = s.connect()
    c.send(b"x")
    assert c.recv_all() == b""
    c.close()
    assert s.wait_log(r"counts (\d) (\d) (.*?),").groups() == ("2", "2", "seen eof")


def test_receive_returns_one_value_on_every_path(tcplua):
    # ngx.receive's data comes back alone; a total of 2^31 or more (classic route) returned `data, nil, nil`.
    _, lines = run(tcplua, show("ngx.receive(1)") + show("ngx.receive(2^31, 1)"), send=b"xabc")
    assert lines == ["n=1 a", "n=1 bc"]


# --- log_by_lua*: wait_next_request is refused, whatever is buffered ---

def test_wait_next_request_in_log_by_lua_is_refused_with_bytes_buffered(tcplua):
    # Classic: "API disabled in the context of log_by_lua*". With client bytes unread, the fast path (C_next)
    # ended a light session from the log phase and returned normally; a second call wrote an access-log line.
    conf = gated_stream(
        'ngx.ctx.real = true ngx.say("ok")',
        extra_server=(
            "log_by_lua_block {\n"
            "    if not ngx.ctx.real then return end\n"
            "    local ok, err = pcall(ngx.wait_next_request)\n"
            "    local ok2, err2 = pcall(ngx.wait_next_request)\n"
            "    ngx.log(ngx.NOTICE, 'log phase wnr: ', tostring(ok), ' ', tostring(err), ' / ', tostring(ok2), ' ',"
            " tostring(err2), ' end')\n"
            "}\n"),
        extra_stream="log_format lines '$remote_port $bytes_sent';\naccess_log logs/access.log lines;")
    s = tcplua(conf)
    c = s.connect()
    port = c.sock.getsockname()[1]
    c.send(b"xrest")  # "rest" stays unread
    assert c.recv_all() == b"ok\n"
    c.close()
    m = s.wait_log(r"log phase wnr: (.*?) end")
    refused = "false API disabled in the context of log_by_lua*"
    assert m.group(1) == f"{refused} / {refused}"
    time.sleep(0.2)
    s.stop()
    lines = [l for l in s.access_log("logs/access.log").splitlines() if l.startswith(f"{port} ")]
    assert lines == [f"{port} 3"]  # one access-log line for the one light session
