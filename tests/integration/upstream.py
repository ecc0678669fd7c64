"""Upstream servers for the cosocket tests, run in threads of the test process on free loopback ports."""
import os
import socket
import threading
import time


class Upstream:
    """A TCP (or unix) server calling `handler(conn)` in a thread per connection; counts accepted connections."""

    def __init__(self, handler, unix_path=None):
        self.handler = handler
        self.accepted = 0
        if unix_path:
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.sock.bind(unix_path)
            self.port = None
        else:
            self.sock = socket.socket()
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self.sock.bind(("127.0.0.1", 0))
            self.port = self.sock.getsockname()[1]
        self.sock.listen(128)
        self.conns = []
        self.stopped = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.stopped:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            self.accepted += 1
            self.conns.append(c)
            threading.Thread(target=self._serve, args=(c,), daemon=True).start()

    def _serve(self, c):
        try:
            self.handler(c)
        except OSError:
            pass
        finally:
            try:
                c.close()
            except OSError:
                pass

    def stop(self):
        self.stopped = True
        self.sock.close()
        for c in self.conns:
            try:
                c.close()
            except OSError:
                pass


def recv_exact(c, n):
    buf = b""
    while len(buf) < n:
        chunk = c.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


def echo(c):
    """Echoes every byte back until the peer closes."""
    while True:
        d = c.recv(65536)
        if not d:
            return
        c.sendall(d)


def framed(c):
    """The seed's upstream protocol (its test.lua's upstream_test): a request is a 4-byte big-endian body
    length and the body; the reply is a 4-byte big-endian total length (itself included), then "reply:" and
    the request's body."""
    while True:
        head = recv_exact(c, 4)
        if head is None:
            return
        body = recv_exact(c, int.from_bytes(head, "big"))
        if body is None:
            return
        out = b"reply:" + body
        c.sendall((len(out) + 4).to_bytes(4, "big") + out)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fd_count(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


class FakeDNS:
    """A UDP DNS server on loopback answering from `zone` ({name: [ipv4 or ipv6 text]}); `mode` makes it
    misbehave: "nxdomain" for unknown names (always), "garbage" (a truncated packet), "wrong-id", "silent"."""

    def __init__(self, zone, mode="ok", ttl=60):
        import ipaddress
        self.ipaddress = ipaddress
        self.zone = zone
        self.mode = mode
        self.ttl = ttl
        self.queries = []
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.stopped = False
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while not self.stopped:
            try:
                q, addr = self.sock.recvfrom(4096)
            except OSError:
                return
            i = 12
            labels = []
            while q[i]:
                labels.append(q[i + 1:i + 1 + q[i]].decode())
                i += 1 + q[i]
            qtype = int.from_bytes(q[i + 1:i + 3], "big")
            name = ".".join(labels)
            self.queries.append((name, qtype))
            question = q[12:i + 5]
            if self.mode == "silent":
                continue
            if self.mode == "garbage":
                self.sock.sendto(q[:2] + b"\x81\x80\x00\x01\x00\x01", addr)
                continue
            ident = q[:2] if self.mode != "wrong-id" else bytes([q[0] ^ 0xFF, q[1]])
            answers = []
            for text in self.zone.get(name, []):
                ip = self.ipaddress.ip_address(text)
                t = 1 if ip.version == 4 else 28
                if t == qtype:
                    answers.append(b"\xc0\x0c" + t.to_bytes(2, "big") + b"\x00\x01"
                                   + self.ttl.to_bytes(4, "big") + len(ip.packed).to_bytes(2, "big") + ip.packed)
            rcode = 0 if name in self.zone else 3
            head = ident + bytes([0x81, 0x80 | rcode]) + b"\x00\x01" + len(answers).to_bytes(2, "big") + b"\x00\x00\x00\x00"
            self.sock.sendto(head + question + b"".join(answers), addr)

    def stop(self):
        self.stopped = True
        self.sock.close()
