"""PENDING: not run by `make test` (it collects tests/integration only). Each case here is a divergence from
OpenResty stream-lua + lua-resty-core that the black-box probe of tests/integration/test_api_parity4.py found and
that was left unfixed in that stop, for the reason given in the case. Run it with
`TCPLUA_BIN=$PWD/.build/debug/tcplua python3 -m pytest -q tests/pending -p no:cacheprovider`; every case fails
today."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
from test_api_parity4 import run  # noqa: E402
from upstream import echo  # noqa: E402


def test_getoption_and_setoption_of_a_socket_never_connected_raise(tcplua):
    # resty/core/socket.lua get_tcp_socket: `cosocket[1]` is made by the first connect, so before it both raise
    # error("socket is never created nor connected") (level 1: socket.lua's own position in front). tcplua's
    # socket table holds its userdata from ngx.socket.tcp() on (the FFI fast paths need the handle at once), so
    # it cannot tell "never connected" from "closed" and answers nil, "closed"; telling them apart needs a flag
    # on TCPSocket set by the first connect. Not done in this stop (time).
    lines = run(tcplua, "local s = ngx.socket.tcp() show(pcall(s.getoption, s, 'keepalive')) "
                        "show(pcall(s.setoption, s, 'keepalive', true))")
    assert [l.split(": ")[-1] for l in lines] == ['socket is never created nor connected"'] * 2
    assert all(l.startswith("n=2 false") for l in lines)


def test_sized_receiveuntil_returns_the_empty_chunk_before_the_pattern(tcplua, upstream):
    # The oracle: on "aXXbXXcX" with receiveuntil("XX"), it(1) gives "a", then "" (the pattern met with nothing
    # before it in this call), then nil, nil, nil; tcplua gives "a" then nil, nil at once. And an unsized it()
    # that times out on "cX" returns the partial "c" (the "X" held as a possible pattern start), tcplua "cX".
    # Both live in the iterator's Swift half (until_step) and its Lua wrapper; not done in this stop (time).
    u = upstream(echo)
    lines = run(tcplua, f"local s = ngx.socket.tcp() s:settimeout(300) assert(s:connect('127.0.0.1', {u.port})) "
                        "s:send('aXXbXXcX') ngx.sleep(0.05) local it = s:receiveuntil('XX') "
                        "show(it(1)) show(it(1)) show(it(1)) show(it(5)) show(it(5)) show(it())")
    assert lines[:2] == ['n=1 "a"', 'n=1 ""']
    assert lines[-1] == 'n=3 nil "timeout" "c"'
