"""`make bench` stays runnable: its runner parses, its C tools compile warning-free, and each peer's config
passes that peer's own syntax check (tcplua -t, haproxy -c, nginx -t). No timing is asserted here."""
import py_compile
import subprocess
import sys

from conftest import ROOT


def test_runner_parses():
    py_compile.compile(str(ROOT / "bench" / "run.py"), doraise=True)
    py_compile.compile(str(ROOT / "bench" / "callgrind.py"), doraise=True)


def test_peer_configs_pass_their_own_checks():
    r = subprocess.run([sys.executable, str(ROOT / "bench" / "run.py"), "--check"], capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    for name in ("tcplua: ok", "haproxy: ok", "nginx: ok"):
        assert name in r.stdout, r.stdout


def test_loadgen_drives_the_floor(tmp_path):
    """The load generator and the floor server work end to end (two seconds, counts only)."""
    out = ROOT / "bench" / "out"
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    floor = subprocess.Popen([str(out / "echo_floor"), str(port)])
    try:
        import time
        time.sleep(0.3)
        r = subprocess.run([str(out / "loadgen"), "-p", str(port), "-c", "4", "-d", "1", "-w", "0"],
                           capture_output=True, text=True, timeout=30)
        import json
        res = json.loads(r.stdout)
        assert res["errors"] == 0 and res["requests"] > 100, res
    finally:
        floor.kill()
        floor.wait()
