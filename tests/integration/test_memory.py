"""Memory stays bounded: a client that floods a session that is not reading is held back by TCP, not
buffered; idle connections cost little; closed connections give their memory back."""
import socket
import time

from conftest import MAIN, lua_server


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


def test_flooding_client_is_not_buffered(tcplua):
    s = tcplua(lua_server('local d = ngx.receive(1) if d then ngx.sleep(3) ngx.say("woke") end'))
    before = rss_kib(s.proc.pid)
    c = s.connect()
    c.sock.setblocking(False)
    chunk = b"z" * 65536
    sent = 0
    deadline = time.time() + 2
    while time.time() < deadline and sent < 64 * 1024 * 1024:
        try:
            sent += c.sock.send(chunk)
        except BlockingIOError:
            time.sleep(0.01)
    grown = rss_kib(s.proc.pid) - before
    assert sent < 64 * 1024 * 1024, "the server took 64 MiB it never asked for"
    assert grown < 4096, f"server RSS grew by {grown} KiB while the client pushed {sent} bytes"


def test_idle_connections_are_cheap_and_released(tcplua):
    s = tcplua(lua_server('local d = ngx.receive(4) ngx.print(d)'), main=MAIN + "events { worker_connections 2048; }\n")
    time.sleep(0.2)
    before = rss_kib(s.proc.pid)
    clients = [socket.create_connection(("127.0.0.1", s.port)) for _ in range(1000)]
    time.sleep(0.5)
    during = rss_kib(s.proc.pid)
    per_connection = (during - before) * 1024 / len(clients)
    assert per_connection < 4096, f"{per_connection:.0f} bytes per idle connection"
    for c in clients:
        c.sendall(b"ping")
    for c in clients:
        assert c.recv(4) == b"ping"
        c.close()
    print(f"idle connection: {per_connection:.0f} bytes")


def test_worker_connections_limit_closes_the_excess_and_logs_it(tcplua):
    s = tcplua(lua_server('local d = ngx.receive(4) ngx.print(d)'), main=MAIN + "events { worker_connections 10; }\n")
    time.sleep(0.2)
    clients = [socket.create_connection(("127.0.0.1", s.port)) for _ in range(12)]
    s.wait_log(r"\[alert\] \d+#0: 10 worker_connections are not enough")
    for c in clients[:10]:
        c.sendall(b"ping")
        assert c.recv(4) == b"ping"
    for c in clients[10:]:
        c.settimeout(2)
        assert c.recv(4) == b""
    for c in clients:
        c.close()
