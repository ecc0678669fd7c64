"""Harness for integration tests: each test starts the real tcplua binary on a free loopback port with its
own prefix directory and config, talks to it over real sockets, and reads its real logs."""
import os
import pathlib
import re
import signal
import socket
import subprocess
import time

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
BIN = os.environ.get("TCPLUA_BIN") or str(ROOT / ".build" / "debug" / "tcplua")

# Main-context lines every test config starts with, unless a test gives its own.
MAIN = "daemon off;\nmaster_process off;\nerror_log logs/error.log debug;\npid logs/tcplua.pid;\n"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Client:
    """A blocking client socket with the helpers tests need."""

    def __init__(self, port, timeout=5.0):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.sock.settimeout(timeout)

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.sock.sendall(data)

    def recv_exact(self, n):
        buf = b""
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                raise EOFError(f"closed after {len(buf)} of {n} bytes: {buf!r}")
            buf += chunk
        return buf

    def recv_line(self):
        buf = b""
        while not buf.endswith(b"\n"):
            chunk = self.sock.recv(1)
            if not chunk:
                raise EOFError(f"closed mid-line: {buf!r}")
            buf += chunk
        return buf.decode()

    def recv_all(self):
        """Everything until the server closes."""
        buf = b""
        while True:
            chunk = self.sock.recv(65536)
            if not chunk:
                return buf
            buf += chunk

    def is_closed(self, wait=2.0):
        self.sock.settimeout(wait)
        try:
            return self.sock.recv(1) == b""
        except socket.timeout:
            return False
        except ConnectionResetError:
            return True

    def shutdown_write(self):
        """Half-closes the connection: the server reads EOF, the client can still read replies."""
        self.sock.shutdown(socket.SHUT_WR)

    def close(self):
        self.sock.close()


class Server:
    """One tcplua process with its own prefix (conf/, logs/) under a temporary directory."""

    def __init__(self, prefix, conf, files=None, main=MAIN):
        self.prefix = pathlib.Path(prefix)
        self.port = free_port()
        (self.prefix / "conf").mkdir(parents=True, exist_ok=True)
        (self.prefix / "logs").mkdir(exist_ok=True)
        for name, text in (files or {}).items():
            path = self.prefix / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        # $PORT: the free port picked for this server; $PREFIX: its prefix directory (no trailing slash).
        self.conf_text = main + conf.replace("$PORT", str(self.port)).replace("$PREFIX", str(self.prefix))
        (self.prefix / "conf" / "tcplua.conf").write_text(self.conf_text)
        self.proc = None

    def cmd(self, *args):
        return [BIN, "-p", str(self.prefix) + "/", "-c", "conf/tcplua.conf", *args]

    def run(self, *args, timeout=30):
        """Runs tcplua with extra arguments (e.g. -t) and returns the completed process."""
        return subprocess.run(self.cmd(*args), capture_output=True, text=True, timeout=timeout)

    def start(self, wait=True, args=()):
        self.proc = subprocess.Popen(self.cmd(*args), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if wait:
            self.wait_listening()
        return self

    def wait_listening(self, port=None, timeout=15):
        """Polls by connecting: note that each probe connection is a session too (sessions start on accept), so
        a handler runs once for it with the client gone; tests that count log lines or module state gate their
        handler on `ngx.receive(1)` succeeding."""
        port = port or self.port
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                out, err = self.proc.communicate()
                raise AssertionError(f"tcplua exited {self.proc.returncode}: {err.decode()}\n{self.error_log()}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.02)
        raise AssertionError("tcplua did not start listening\n" + self.error_log())

    def connect(self, timeout=5.0):
        return Client(self.port, timeout)

    def error_log(self):
        p = self.prefix / "logs" / "error.log"
        return p.read_text(errors="replace") if p.exists() else ""

    def log_lines(self, pattern=None):
        """The error log's lines, only those matching the regex `pattern` when given."""
        lines = self.error_log().splitlines()
        return [l for l in lines if pattern is None or re.search(pattern, l)]

    def access_log(self, name="logs/access_tcp.log"):
        p = self.prefix / name
        return p.read_text(errors="replace") if p.exists() else ""

    def wait_log(self, pattern, timeout=5.0, log=None):
        """Waits until the error log (or `log()`) matches `pattern`; returns the match."""
        log = log or self.error_log
        deadline = time.time() + timeout
        while time.time() < deadline:
            m = re.search(pattern, log())
            if m:
                return m
            time.sleep(0.02)
        raise AssertionError(f"log never matched {pattern!r}:\n{log()}")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc:
            for s in (self.proc.stdout, self.proc.stderr):
                if s:
                    s.close()


@pytest.fixture
def tcplua(tmp_path):
    """Factory: tcplua(conf, files={...}, main=...) -> started Server, stopped after the test."""
    servers = []

    def start(conf, files=None, main=MAIN, wait=True):
        s = Server(tmp_path / f"s{len(servers)}", conf, files, main)
        servers.append(s)
        return s.start(wait)

    yield start
    for s in servers:
        s.stop()


@pytest.fixture
def make_server(tmp_path):
    """Factory: a Server that is configured but not started (for -t and config-error tests)."""
    made = []

    def make(conf, files=None, main=MAIN):
        s = Server(tmp_path / f"m{len(made)}", conf, files, main)
        made.append(s)
        return s

    yield make
    for s in made:
        s.stop()


def request(s, data="x", timeout=10):
    """Connects to server `s`, sends `data` and returns everything it answers until it closes (text)."""
    c = s.connect(timeout=timeout)
    c.send(data)
    out = c.recv_all().decode()
    c.close()
    return out


def lua_server(code, extra_server="", extra_tcp=""):
    """A tcp{} block with one server on $PORT whose handler is `code` (a process_by_lua_block body)."""
    return (
        "tcp {\n" + extra_tcp + "\n    server {\n        listen 127.0.0.1:$PORT;\n" + extra_server
        + "\n        process_by_lua_block {\n" + code + "\n        }\n    }\n}\n"
    )


def gated_stream(body, extra_server="", extra_stream=""):
    """A stream{} block with one server on $PORT whose content_by_lua_block is `body` behind
    `if not ngx.receive(1) then return end` (so the probe connection of wait_listening runs nothing)."""
    return (
        "stream {\n" + extra_stream + "\n    server {\n        listen 127.0.0.1:$PORT;\n" + extra_server
        + "\n        content_by_lua_block {\n            if not ngx.receive(1) then return end\n" + body
        + "\n        }\n    }\n}\n"
    )


def lua_file_server(path, extra_server="", extra_tcp=""):
    """Like lua_server, with `process_by_lua_file 'path';` (path relative to the prefix)."""
    return (
        "tcp {\n" + extra_tcp + "\n    server {\n        listen 127.0.0.1:$PORT;\n" + extra_server
        + f"\n        process_by_lua_file '{path}';\n    }}\n}}\n"
    )


def children(pid):
    """Pids of the live child processes of `pid` (from /proc)."""
    out = []
    for d in pathlib.Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            stat = (d / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid and fields[0] != "Z":
            out.append(int(d.name))
    return out


def pid_alive(pid):
    """True while `pid` exists and is not a zombie."""
    try:
        stat = pathlib.Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def wait_until(cond, timeout=5.0, step=0.02):
    """Polls `cond()` until it is truthy (returns its value) or `timeout` passes (returns the last value)."""
    deadline = time.time() + timeout
    while True:
        v = cond()
        if v or time.time() >= deadline:
            return v
        time.sleep(step)


@pytest.fixture
def upstream():
    """Factory: upstream(handler=echo, **kw) -> a started test upstream server (tests/integration/upstream.py),
    stopped after the test."""
    from upstream import Upstream, echo

    made = []

    def make(handler=echo, **kw):
        u = Upstream(handler, **kw)
        made.append(u)
        return u

    yield make
    for u in made:
        u.stop()
