"""ngx.socket.tcp against real upstream servers on loopback: connect, send, receive, close."""
import time

import pytest

from conftest import lua_server
from upstream import Upstream, echo, framed, free_port


@pytest.fixture
def upstream():
    made = []

    def make(handler=echo, **kw):
        u = Upstream(handler, **kw)
        made.append(u)
        return u

    yield make
    for u in made:
        u.stop()


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
