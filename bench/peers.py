"""The servers `bench/run.py` compares and the process helpers every benchmark script uses: where the binaries
are, how each peer is started for a workload (pinned to CPU 0), and how its CPU time and memory are read."""
import os
import pathlib
import resource
import shutil
import signal
import socket
import subprocess
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
OUT = BENCH / "out"
# The release build; TCPLUA_BIN overrides (make test checks the configs with the debug build).
TCPLUA = pathlib.Path(os.environ.get("TCPLUA_BIN") or ROOT / ".build" / "release" / "tcplua")
LOADGEN = OUT / "loadgen"
FLOOR = OUT / "echo_floor"
NGINX_LUA = pathlib.Path("/usr/lib/nginx/modules/ngx_http_lua_module.so")
CLK_TCK = os.sysconf("SC_CLK_TCK")
SHDICT_LUA = {
    "openresty": 'local d = ngx.shared.bench d:incr("n", 1, 0) d:get("n") d:set("last", body)',
}




def children_of(pid):
    out = []
    for d in pathlib.Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                fields = (d / "stat").read_text().rsplit(")", 1)[1].split()
                if int(fields[1]) == pid:
                    out.append(int(d.name))
            except (OSError, IndexError, ValueError):
                pass
    return out


def tree(pid):
    pids, todo = [], [pid]
    while todo:
        p = todo.pop()
        pids.append(p)
        todo.extend(children_of(p))
    return pids


def cpu_ticks(pids):
    total = 0
    for p in pids:
        try:
            fields = pathlib.Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, IndexError, ValueError):
            pass
    return total


def rss_kib(pids):
    total = 0
    for p in pids:
        try:
            for line in pathlib.Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total


def raise_nofile():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = 65536 if hard == resource.RLIM_INFINITY else min(65536, hard)
    resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))


def wait_listening(port, proc, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("server did not listen")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def quiet(max_wait=20.0):
    """Waits until the CPUs are at least 90% idle over half a second; returns the 1-minute load average."""
    def idle_total():
        f = [int(x) for x in open("/proc/stat").readline().split()[1:]]
        return f[3] + f[4], sum(f)
    deadline = time.time() + max_wait
    while True:
        i1, t1 = idle_total()
        time.sleep(0.5)
        i2, t2 = idle_total()
        if t2 == t1 or (i2 - i1) / (t2 - t1) >= 0.90 or time.time() > deadline:
            return float(open("/proc/loadavg").read().split()[0])


# ---- servers --------------------------------------------------------------------------------------------

class Peer:
    """One server under test: how to start it for a workload, or why it cannot run it."""
    name = ""
    http_head = False

    def unavailable(self, w):
        return None

    def command(self, w, port, prefix):
        raise NotImplementedError

    def start(self, w, port, prefix):
        cmd = self.command(w, port, prefix)
        if w.pinned:
            cmd = ["taskset", "-c", "0"] + cmd
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=open(prefix / "stderr.log", "w"),
                                preexec_fn=raise_nofile, cwd=prefix)
        wait_listening(port, proc)
        return proc


def fill(template, **values):
    text = template.read_text()
    for k, v in values.items():
        text = text.replace("$" + k, str(v))
    return text


class TCPLua(Peer):
    name = "tcplua"
    access_log = "access_log off;"

    def unavailable(self, w):
        return None if TCPLUA.exists() else "release build missing"

    def command(self, w, port, prefix):
        (prefix / "conf").mkdir(exist_ok=True)
        (prefix / "logs").mkdir(exist_ok=True)
        template = "proxy.conf" if w.proxy else "tcplua.conf"
        conf = fill(BENCH / "tcplua" / template, PORT=port, WORKERS=w.workers,
                    WORKLOAD_LUA=SHDICT_LUA["openresty"] if w.shdict else "",
                    SHDICT="lua_shared_dict bench 10m;" if w.shdict else "", ACCESS_LOG=self.access_log,
                    UPSTREAM=w.upstream)
        (prefix / "conf" / "tcplua.conf").write_text(conf)
        return [str(TCPLUA), "-p", str(prefix) + "/", "-c", "conf/tcplua.conf"]


class TCPLuaAccessLog(TCPLua):
    """tcplua with the default access log (one line per request to logs/access_tcp.log), on W1 only: its ratio to
    `tcplua` (access_log off) in the same run is the access log's cost."""
    name = "tcplua access_log"
    access_log = "# the default access_log"

    def unavailable(self, w):
        return "W1 only" if w.key != "W1" else super().unavailable(w)


class Floor(Peer):
    name = "C floor"

    def unavailable(self, w):
        if w.shdict:
            return "no Lua, no shared dict"
        if w.proxy:
            return "the upstream itself"
        if w.workers > 1:
            return "single-threaded by design"
        return None

    def command(self, w, port, prefix):
        return [str(FLOOR), str(port)]


class HAProxy(Peer):
    name = "HAProxy Lua"

    def unavailable(self, w):
        if w.shdict:
            return "HAProxy Lua has no shared dict"
        return None if shutil.which("haproxy") else "haproxy not installed"

    template = "haproxy.cfg"
    proxy_template = "proxy.cfg"

    def command(self, w, port, prefix):
        cfg = prefix / "haproxy.cfg"
        template = self.proxy_template if w.proxy else self.template
        cfg.write_text(fill(BENCH / "haproxy" / template, PORT=port, WORKERS=w.workers, BENCH=BENCH,
                            UPSTREAM=w.upstream))
        return ["haproxy", "-db", "-f", str(cfg)]


class HAProxyNative(HAProxy):
    """HAProxy's `mode tcp` proxy, no Lua: the limit P1 is measured against."""
    name = "HAProxy native"
    proxy_template = "native.cfg"

    def unavailable(self, w):
        return "P1 only" if not w.proxy else super().unavailable(w)


class OpenResty(Peer):
    name = "OpenResty Lua"
    http_head = True

    def unavailable(self, w):
        return None if NGINX_LUA.exists() and shutil.which("nginx") else "nginx + libnginx-mod-http-lua not installed"

    def command(self, w, port, prefix):
        (prefix / "tmp").mkdir(exist_ok=True)
        conf = fill(BENCH / "openresty" / ("proxy.conf" if w.proxy else "nginx.conf"), PORT=port, WORKERS=w.workers,
                    PREFIX=prefix, WORKLOAD_LUA=SHDICT_LUA["openresty"] if w.shdict else "", UPSTREAM=w.upstream)
        (prefix / "nginx.conf").write_text(conf)
        return ["nginx", "-p", str(prefix), "-c", str(prefix / "nginx.conf"), "-e", str(prefix / "error.log")]


def stop(proc, timeout=10):
    """SIGTERM, then SIGKILL after `timeout` seconds; the children left are killed too."""
    pids = tree(proc.pid)
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    for p in pids[1:]:
        try:
            os.kill(p, signal.SIGKILL)
        except ProcessLookupError:
            pass
