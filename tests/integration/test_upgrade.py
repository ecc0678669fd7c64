"""Binary upgrade as nginx does it: USR2 starts a new master (the binary at the same path) with the listening
sockets inherited through TCPLUA; the old pid file becomes tcplua.pid.oldbin; WINCH retires the old workers;
QUIT to the old master finishes the upgrade, HUP to it (after WINCH) rolls back. Nothing is refused."""
import os
import signal
import time

from conftest import children, pid_alive, wait_until
from test_reload import HANDLER, MAIN, Load, conf, request, workers_of


def pid_in(path):
    try:
        return int(path.read_text())
    except (OSError, ValueError):
        return None


def start_upgrade(s):
    """USR2 to the master; returns the new master's pid once it serves with its own workers."""
    pidfile = s.prefix / "logs" / "tcplua.pid"
    oldbin = s.prefix / "logs" / "tcplua.pid.oldbin"
    old = s.proc.pid
    s.proc.send_signal(signal.SIGUSR2)
    assert wait_until(lambda: pid_in(oldbin) == old, 10), s.error_log()
    new = wait_until(lambda: (lambda p: p if p and p != old else None)(pid_in(pidfile)), 30)
    assert new and new in children(old), (new, children(old))
    assert wait_until(lambda: len(children(new)) == 2, 30), s.error_log()
    s.wait_log(r"using inherited sockets from \"(\d+;)+\"")
    return new


def stop_pid(pid):
    if pid and pid_alive(pid):
        os.kill(pid, signal.SIGTERM)
        wait_until(lambda: not pid_alive(pid), 10)


def test_upgrade_under_load_refuses_nothing(tcplua):
    s = tcplua(conf(), files={"lua/handler.lua": HANDLER.format(v="v1")}, main=MAIN)
    old_workers = workers_of(s)
    new = None
    try:
        with Load(s.port) as load:
            time.sleep(0.5)
            (s.prefix / "lua" / "handler.lua").write_text(HANDLER.format(v="v2"))
            new = start_upgrade(s)
            time.sleep(0.5)
            s.proc.send_signal(signal.SIGWINCH)  # the old workers retire; the new master's serve alone
            assert wait_until(lambda: not any(pid_alive(p) for p in old_workers), 20)
            switched = time.time()
            time.sleep(0.5)
            s.proc.send_signal(signal.SIGQUIT)
            assert s.proc.wait(timeout=20) == 0
            time.sleep(0.5)
        print("connections", len(load.connections))
        assert load.failures == [], load.failures[:5]
        assert len(load.connections) > 100
        for opened, versions in load.connections:
            assert len(set(versions)) == 1, versions
        assert {v[0] for _, v in load.connections} == {"v1", "v2"}
        assert {v[0] for opened, v in load.connections if opened > switched} == {"v2"}
        assert not (s.prefix / "logs" / "tcplua.pid.oldbin").exists()
        assert pid_in(s.prefix / "logs" / "tcplua.pid") == new
        assert request(s.connect()) == ["v2", "1"]
        # The new master is a master like any: it reloads.
        (s.prefix / "lua" / "handler.lua").write_text(HANDLER.format(v="v3"))
        assert s.run("-s", "reload", timeout=90).returncode == 0
        assert request(s.connect()) == ["v3", "1"]
    finally:
        stop_pid(new)


def test_upgrade_rollback_with_hup_to_the_old_master(tcplua):
    s = tcplua(conf(), files={"lua/handler.lua": HANDLER.format(v="v1")}, main=MAIN)
    old_workers = workers_of(s)
    new = None
    try:
        with Load(s.port, clients=20) as load:
            (s.prefix / "lua" / "handler.lua").write_text(HANDLER.format(v="v2"))
            new = start_upgrade(s)
            s.proc.send_signal(signal.SIGWINCH)
            assert wait_until(lambda: not any(pid_alive(p) for p in old_workers), 20)
            assert children(s.proc.pid) == [new]
            # Roll back: the old master starts workers on its own (old) code, without reading the config.
            s.proc.send_signal(signal.SIGHUP)
            assert wait_until(lambda: len(children(s.proc.pid)) == 3, 20)
            # Then the new master's workers retire (their sessions finish), and it leaves.
            new_workers = children(new)
            os.kill(new, signal.SIGWINCH)
            assert wait_until(lambda: not any(pid_alive(p) for p in new_workers), 20)
            os.kill(new, signal.SIGQUIT)
            assert wait_until(lambda: not pid_alive(new), 20)
            rolled_back = time.time()
            time.sleep(0.5)
        assert load.failures == [], load.failures[:5]
        assert {v[0] for opened, v in load.connections if opened > rolled_back} == {"v1"}
        assert wait_until(lambda: pid_in(s.prefix / "logs" / "tcplua.pid") == s.proc.pid, 10)
        assert not (s.prefix / "logs" / "tcplua.pid.oldbin").exists()
        s.wait_log(rf"new binary process {new} exited with code 0")
        assert request(s.connect()) == ["v1", "1"]
    finally:
        stop_pid(new)


def test_upgrade_inherits_reuseport_and_unix_sockets(tcplua, tmp_path):
    import socket as so
    path = str(tmp_path / "up.sock")
    conf_text = conf(listens=("127.0.0.1:$PORT reuseport", f"unix:{path}"))
    s = tcplua(conf_text, files={"lua/handler.lua": HANDLER.format(v="v1")}, main=MAIN)

    def tcp_sockets():
        out = set()
        for line in open("/proc/net/tcp").read().splitlines()[1:]:
            f = line.split()
            if f[3] == "0A" and int(f[1].split(":")[1], 16) == s.port:
                out.add(f[9])
        return out

    def ask_unix():
        c = so.socket(so.AF_UNIX)
        c.settimeout(10)
        c.connect(path)
        c.sendall(b"x")
        line = c.makefile("rb").readline().decode().split()
        c.close()
        return line

    before = tcp_sockets()
    inode = os.stat(path).st_ino
    assert len(before) == 2 and ask_unix() == ["v1", "1"]
    new = None
    try:
        (s.prefix / "lua" / "handler.lua").write_text(HANDLER.format(v="v2"))
        new = start_upgrade(s)
        s.proc.send_signal(signal.SIGWINCH)
        s.proc.send_signal(signal.SIGQUIT)
        assert s.proc.wait(timeout=20) == 0
        assert tcp_sockets() == before  # the same reuseport sockets, none bound anew
        assert os.stat(path).st_ino == inode  # the old master left the unix socket file alone
        assert ask_unix() == ["v2", "1"]
        assert request(s.connect()) == ["v2", "1"]
    finally:
        stop_pid(new)
    assert wait_until(lambda: not os.path.exists(path), 5)  # the last master removed it
