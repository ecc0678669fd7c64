"""Many concurrent connections with framed requests: every client gets exactly its own replies."""
import os
import struct
import threading
import time

from conftest import lua_server

ECHO = r'''
local netutil = require "netutil"
while true do
    local h, err = ngx.receive(4)
    if not h then return end
    local n = netutil.unpackint32(h)
    local body, err2 = ngx.receive(n)
    if not body then
        ngx.log(ngx.ERR, "short body: ", err2)
        return
    end
    ngx.print(netutil.packint32(n + 6), "echo: ", body)
    ngx.wait_next_request()
end
'''

CONNS = 200
REQS = 5


def _frame(payload):
    return struct.pack(">I", len(payload)) + payload


def _client(s, i, barrier, errors):
    try:
        c = s.connect(timeout=15)
        barrier.wait(timeout=15)  # all connections are open at once
        payloads = [f"conn{i}-req{j}-".encode() + os.urandom(1 + (i * 7 + j * 131) % 3000) for j in range(REQS)]
        if i % 2 == 0:  # pipelined: all requests in one write, in several pieces
            data = b"".join(_frame(p) for p in payloads)
            for k in range(0, len(data), 1000):
                c.send(data[k:k + 1000])
            replies = [c.recv_exact(struct.unpack(">I", c.recv_exact(4))[0]) for _ in payloads]
        else:  # lockstep
            replies = []
            for p in payloads:
                c.send(_frame(p))
                replies.append(c.recv_exact(struct.unpack(">I", c.recv_exact(4))[0]))
        expected = [b"echo: " + p for p in payloads]
        if replies != expected:
            errors.append((i, [r[:30] for r in replies], [e[:30] for e in expected]))
        c.close()
    except Exception as e:  # noqa: BLE001 - reported by the test
        errors.append((i, repr(e)))


def test_many_connections_get_their_own_replies(tcplua):
    s = tcplua(lua_server(ECHO, "read_timeout 10s;"))
    barrier = threading.Barrier(CONNS)
    errors = []
    threads = [threading.Thread(target=_client, args=(s, i, barrier, errors)) for i in range(CONNS)]
    t0 = time.time()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not any(t.is_alive() for t in threads), "clients hung"
    assert errors == []
    assert time.time() - t0 < 30
    assert "[error]" not in s.error_log()


def test_connections_opened_and_closed_in_waves(tcplua):
    s = tcplua(lua_server('local d = ngx.receive(8) ngx.print(d:upper())'))
    for wave in range(5):
        clients = [s.connect() for _ in range(40)]
        for k, c in enumerate(clients):
            c.send(f"w{wave}c{k:05d}"[:8].ljust(8, "x"))
        for k, c in enumerate(clients):
            assert c.recv_all() == f"w{wave}c{k:05d}"[:8].ljust(8, "x").upper().encode()
            c.close()


def test_abrupt_disconnects_do_not_disturb_others(tcplua):
    s = tcplua(lua_server(ECHO, "read_timeout 10s;"))
    good = s.connect()
    for _ in range(50):
        bad = s.connect()
        bad.send(b"\x00\x00\x00\x10half")  # announces 16 bytes, sends 4, vanishes
        bad.close()
    good.send(_frame(b"still here"))
    assert good.recv_exact(4) == struct.pack(">I", 16)
    assert good.recv_exact(16) == b"echo: still here"
