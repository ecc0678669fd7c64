"""`listen [::]:port`, `[::1]:port`, `unix:/path` and `reuseport`, and allow/deny for IPv6 clients (CIDR,
`all`, first match wins, nginx's `access forbidden by rule` line)."""
import os
import subprocess
import re
import socket
import time

from conftest import children, free_port, wait_until

MAIN = ("daemon off;\nmaster_process on;\nworker_processes 2;\nerror_log logs/error.log info;\n"
        "pid logs/tcplua.pid;\n")
SAY = """
        process_by_lua_block {
            if not ngx.receive(1) then return end
            ngx.say("hi ", ngx.worker.pid())
        }
"""


def free_port6():
    with socket.socket(socket.AF_INET6) as s:
        s.bind(("::1", 0))
        return s.getsockname()[1]


def server(listens, extra=""):
    return ("tcp {\n    log_format f '$remote_addr|$server_addr|$server_port';\n    access_log logs/access.log f;\n"
            "    server {\n"
            + "".join(f"        listen {l};\n" for l in listens) + extra + SAY + "    }\n}\n")


def ask(family, address, timeout=5):
    s = socket.socket(family, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(address)
    data = b""
    try:
        s.sendall(b"x")
        while not data.endswith(b"\n"):
            chunk = s.recv(100)
            if not chunk:
                break
            data += chunk
    except ConnectionResetError:  # refused by a rule: closed with the request unread
        pass
    s.close()
    return data.decode()


def start(tcplua, conf, probe):
    s = tcplua(conf, main=MAIN, wait=False)
    deadline = time.time() + 15
    while time.time() < deadline and s.proc.poll() is None:
        try:
            probe()
            return s
        except OSError:
            time.sleep(0.05)
    raise AssertionError(s.error_log())


def test_ipv6_loopback_and_any(tcplua):
    p1, p2 = free_port6(), free_port6()
    s = start(tcplua, server([f"[::1]:{p1}", f"[::]:{p2}"]),
              lambda: socket.create_connection(("::1", p1), timeout=0.2).close())
    assert ask(socket.AF_INET6, ("::1", p1)).startswith("hi ")
    assert ask(socket.AF_INET6, ("::1", p2)).startswith("hi ")
    # [::] is IPv6 only (IPV6_V6ONLY, as nginx): IPv4 clients are not served on it.
    with socket.socket() as v4:
        assert v4.connect_ex(("127.0.0.1", p2)) != 0
    log = wait_until(lambda: (lambda t: t if t.count("\n") >= 2 else None)(s.access_log("logs/access.log")), 5)
    assert f"::1|::1|{p1}\n" in log and f"::1|::|{p2}\n" in log, log


def test_unix_socket_listen(tcplua, tmp_path):
    path = str(tmp_path / "app.sock")
    s = start(tcplua, server([f"unix:{path}"]), lambda: ask(socket.AF_UNIX, path, timeout=0.5))
    assert ask(socket.AF_UNIX, path).startswith("hi ")
    log = wait_until(lambda: s.access_log("logs/access.log"), 5)
    assert f"unix:|unix:{path}|0\n" in log, log
    # A reload keeps the socket (same file, same inode: no client sees it missing).
    inode = os.stat(path).st_ino
    assert s.run("-s", "reload", timeout=90).returncode == 0
    assert os.stat(path).st_ino == inode
    assert ask(socket.AF_UNIX, path).startswith("hi ")
    s.stop()
    assert not os.path.exists(path)  # the master removes the file when it exits, as nginx


def test_reuseport_one_socket_per_worker_and_a_reload_keeps_them(tcplua):
    port = free_port()
    s = start(tcplua, server([f"127.0.0.1:{port} reuseport"]),
              lambda: socket.create_connection(("127.0.0.1", port), timeout=0.2).close())
    workers = wait_until(lambda: (lambda c: sorted(c) if len(c) == 2 else None)(children(s.proc.pid)), 10)

    def listening_inodes(pid):
        inodes = set()
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                link = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            m = re.match(r"socket:\[(\d+)\]", link)
            if m:
                inodes.add(m.group(1))
        return inodes

    def port_sockets():
        """Inodes of the listening sockets on `port` (from /proc/net/tcp)."""
        out = set()
        for line in open("/proc/net/tcp").read().splitlines()[1:]:
            f = line.split()
            if f[3] == "0A" and int(f[1].split(":")[1], 16) == port:
                out.add(f[9])
        return out

    sockets = port_sockets()
    assert len(sockets) == 2, sockets  # one per worker
    served = {ask(socket.AF_INET, ("127.0.0.1", port)).split()[1] for _ in range(60)}
    assert served == {str(w) for w in workers}, (served, workers)
    assert s.run("-s", "reload", timeout=90).returncode == 0
    assert wait_until(lambda: not set(workers) & set(children(s.proc.pid)), 10)
    assert port_sockets() == sockets  # the same sockets, so nothing queued in one was reset
    for _ in range(20):
        assert ask(socket.AF_INET, ("127.0.0.1", port)).startswith("hi ")


def test_allow_deny_for_ipv6_clients(tcplua):
    p = free_port6()
    rules = "        allow ::2;\n        deny ::1;\n        allow all;\n"
    s = start(tcplua, server([f"[::1]:{p}"], rules), lambda: socket.create_connection(("::1", p), timeout=0.2).close())
    assert ask(socket.AF_INET6, ("::1", p)) == ""  # denied: closed without a reply
    s.wait_log(rf"\[notice\] \d+#0: access forbidden by rule, client: ::1, server: \[::1\]:{p}")
    # CIDR, and order: the first match decides.
    conf = server([f"[::1]:{p}"], "        allow ::/127;\n        deny all;\n")
    (s.prefix / "conf" / "tcplua.conf").write_text(MAIN + conf)
    assert s.run("-s", "reload", timeout=90).returncode == 0
    assert ask(socket.AF_INET6, ("::1", p)).startswith("hi ")
    conf = server([f"[::1]:{p}"], "        deny ::/128;\n        allow 127.0.0.1;\n        deny ::1/128;\n        allow all;\n")
    (s.prefix / "conf" / "tcplua.conf").write_text(MAIN + conf)
    assert s.run("-s", "reload", timeout=90).returncode == 0
    assert ask(socket.AF_INET6, ("::1", p)) == ""  # an IPv4 rule does not cover ::1; the IPv6 /128 does
    conf = server([f"[::1]:{p}"], "        deny all;\n")
    (s.prefix / "conf" / "tcplua.conf").write_text(MAIN + conf)
    assert s.run("-s", "reload", timeout=90).returncode == 0
    assert ask(socket.AF_INET6, ("::1", p)) == ""
    conf = server([f"[::1]:{p}"], "        deny 2001:db8::/32;\n        deny 0.0.0.0/0;\n")
    (s.prefix / "conf" / "tcplua.conf").write_text(MAIN + conf)
    assert s.run("-s", "reload", timeout=90).returncode == 0
    assert ask(socket.AF_INET6, ("::1", p)).startswith("hi ")


def test_listen_socket_options_reach_the_kernel(tcplua):
    """backlog=, rcvbuf=, so_keepalive=idle:intvl:cnt as `ss` shows them (IPv4 and IPv6)."""
    p4, p6 = free_port(), free_port6()
    opts = "backlog=17 rcvbuf=64k so_keepalive=7m:9:3"
    s = start(tcplua, server([f"127.0.0.1:{p4} {opts}", f"[::1]:{p6} {opts}"]),
              lambda: socket.create_connection(("127.0.0.1", p4), timeout=0.2).close())
    for port in (p4, p6):
        out = subprocess.run(["ss", "-Hltnm", f"sport = :{port}"], capture_output=True, text=True).stdout
        fields = out.split()
        assert fields[2] == "17", out  # Send-Q of a listening socket: its backlog
        rb = int(re.search(r"rb(\d+)", out).group(1))
        assert 64 * 1024 <= rb <= 2 * 64 * 1024 + 4096, out  # the kernel doubles SO_RCVBUF
    c = socket.create_connection(("127.0.0.1", p4), timeout=5)
    try:
        out = wait_until(lambda: subprocess.run(["ss", "-Htno", "state", "established", f"sport = :{p4}"],
                                                capture_output=True, text=True).stdout, 5)
        assert re.search(r"timer:\(keepalive,(6min5\d|7min)", out), out  # idle 7 minutes
    finally:
        c.close()


def test_server_so_keepalive_sets_it_on_accepted_connections(tcplua):
    p4 = free_port()
    s = start(tcplua, server([f"127.0.0.1:{p4}"], "        so_keepalive on;\n"),
              lambda: socket.create_connection(("127.0.0.1", p4), timeout=0.2).close())
    c = socket.create_connection(("127.0.0.1", p4), timeout=5)
    try:
        out = wait_until(lambda: subprocess.run(["ss", "-Htno", "state", "established", f"sport = :{p4}"],
                                                capture_output=True, text=True).stdout, 5)
        assert "timer:(keepalive," in out, out
    finally:
        c.close()
    # Off (the default): no keepalive timer.
    conf = server([f"127.0.0.1:{p4}"])
    (s.prefix / "conf" / "tcplua.conf").write_text(MAIN + conf)
    assert s.run("-s", "reload", timeout=90).returncode == 0
    time.sleep(0.5)  # the old workers have stopped accepting
    c = socket.create_connection(("127.0.0.1", p4), timeout=5)
    try:
        out = wait_until(lambda: subprocess.run(["ss", "-Htno", "state", "established", f"sport = :{p4}"],
                                                capture_output=True, text=True).stdout, 5)
        assert out and "keepalive" not in out, out
    finally:
        c.close()
