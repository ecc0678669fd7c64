#!/usr/bin/env python3
"""`make bench`: tcplua side by side with a C epoll echo server (the floor), HAProxy's Lua TCP service and
OpenResty's Lua (nginx + libnginx-mod-http-lua, raw socket after one HTTP request head), on the same
framed-echo workloads, in one run on one machine. Prints one table and writes it to bench/out/results.md.

Method: each server pinned to CPU 0 and the load generator (bench/tools/loadgen.c) to CPU 1 (taskset),
except W6; before each run the machine must be quiet (CPU idle) and the load average is recorded; the order
of servers alternates between repetitions; every run is bounded in time and sends to 127.0.0.1 only.
"""
import argparse
import json
import os
import pathlib
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

from peers import (  # noqa: E402  (the servers and the process helpers)
    BENCH, CLK_TCK, FLOOR, LOADGEN, NGINX_LUA, OUT, TCPLUA, Floor, HAProxy, HAProxyNative, OpenResty, TCPLua,
    TCPLuaAccessLog, cpu_ticks, fill, free_port, quiet, raise_nofile, rss_kib, stop, tree, wait_listening,
)



class Workload:
    def __init__(self, key, title, payload=64, conns=50, per_request=False, idle=False, workers=1, pinned=True,
                 shdict=False, proxy=False):
        self.key, self.title, self.payload, self.conns = key, title, payload, conns
        self.per_request, self.idle, self.workers, self.pinned, self.shdict = per_request, idle, workers, pinned, shdict
        # P1: the server forwards each request to an upstream (the C floor, on CPU 1 beside the load generator).
        self.proxy = proxy
        self.upstream = 0


WORKLOADS = [
    Workload("W1", "framed echo 64 B, 50 keepalive conns"),
    Workload("W2", "framed echo 4 KiB, 50 keepalive conns", payload=4096),
    Workload("W3", "one connection per request, 64 B, 50 conns", per_request=True),
    Workload("W4", "5,000 idle connections (bytes per connection)", conns=5000, idle=True),
    Workload("W5", "W1 + shared-dict incr+get+set per request", shdict=True),
    Workload("W6", "W1 with two workers/threads, unpinned", workers=2, pinned=False),
    Workload("P1", "proxy: W1 forwarded to a pooled upstream (the C floor)", proxy=True),
]


# ---- processes ------------------------------------------------------------------------------------------
# ---- one measurement ------------------------------------------------------------------------------------

def upstream_conns(port):
    """Established connections to the upstream's port (P1: about the pool size, not the request count)."""
    r = subprocess.run(["ss", "-Htn", "state", "established", f"( dport = :{port} )"], capture_output=True, text=True)
    return len(r.stdout.splitlines())


def run_once(peer, w, seconds, warmup):
    if w.proxy:
        w.upstream = free_port()
        up = subprocess.Popen(["taskset", "-c", "1", str(FLOOR), str(w.upstream)], stdout=subprocess.DEVNULL)
        try:
            wait_listening(w.upstream, up)
            r = run_proxied(peer, w, seconds, warmup)
            return r
        finally:
            stop(up)
    return run_proxied(peer, w, seconds, warmup)


def run_proxied(peer, w, seconds, warmup):
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="tcplua-bench-") as tmp:
        prefix = pathlib.Path(tmp)
        proc = peer.start(w, port, prefix)
        try:
            load = quiet()
            pids = tree(proc.pid)
            gen = ["taskset", "-c", "1"] if w.pinned else []
            gen += [str(LOADGEN), "-p", str(port), "-c", str(w.conns), "-s", str(w.payload)]
            if w.idle:
                rss0 = rss_kib(pids)
                if peer.http_head:
                    gen.append("-H")
                g = subprocess.Popen(gen + ["-i", "-d", str(max(3, seconds // 2)), "-w", "0"], stdout=subprocess.PIPE,
                                     preexec_fn=raise_nofile, text=True)
                time.sleep(max(2.5, seconds // 2 - 0.5))
                rss1 = rss_kib(tree(proc.pid))
                out = json.loads(g.communicate()[0])
                return {"bytes_per_conn": (rss1 - rss0) * 1024 / w.conns, "errors": out["errors"], "load": load}
            if w.per_request:
                gen.append("-n")
            if peer.http_head:
                gen.append("-H")
            g = subprocess.Popen(gen + ["-d", str(seconds), "-w", str(warmup)], stdout=subprocess.PIPE, text=True)
            time.sleep(warmup)
            pids = tree(proc.pid)
            c0, t0 = cpu_ticks(pids), time.time()
            time.sleep(seconds / 2)
            conns = upstream_conns(w.upstream) if w.proxy else None  # mid-run: the clients are all connected
            time.sleep(seconds / 2)
            c1, t1 = cpu_ticks(pids), time.time()
            out = json.loads(g.communicate()[0])
            cpu_s = (c1 - c0) / CLK_TCK
            if conns is not None:
                out["upstream_conns"] = conns
            out["cpu_us"] = cpu_s * 1e6 / out["requests"] if out["requests"] else float("nan")
            out["busy"] = cpu_s / (t1 - t0)
            out["load"] = load
            return out
        finally:
            stop(proc)


# ---- the table ------------------------------------------------------------------------------------------

def cell(results, w):
    if isinstance(results, str):
        return "— (" + results + ")"
    if w.idle:
        return f"{statistics.median(r['bytes_per_conn'] for r in results):,.0f} B/conn"
    rps = [r["rps"] for r in results]
    med = sorted(results, key=lambda r: r["rps"])[len(results) // 2]
    runs = "/".join(f"{x / 1000:.1f}k" for x in rps)
    up = f"; {med['upstream_conns']} upstream conns" if "upstream_conns" in med else ""
    return (f"**{statistics.median(rps) / 1000:.1f}k rps** ({runs}); p50 {med['p50_us']} µs, p99 {med['p99_us']} µs; "
            f"{statistics.median(r['cpu_us'] for r in results):.2f} µs CPU/req ({med['busy'] * 100:.0f}% core){up}")


def ratios(table, w):
    t = table.get("tcplua")
    if isinstance(t, str) or not t:
        return "—"
    parts = []
    a = table.get("tcplua access_log")
    if a and not isinstance(a, str):
        rps = statistics.median(x["rps"] / y["rps"] for x, y in zip(a, t))
        cpu = statistics.median(x["cpu_us"] / y["cpu_us"] for x, y in zip(a, t))
        parts.append(f"access log on: {rps:.2f}× rps, {cpu:.2f}× CPU/req of access_log off")
    for name in ("C floor", "HAProxy Lua", "OpenResty Lua", "HAProxy native"):
        p = table.get(name)
        if isinstance(p, str) or not p:
            continue
        if w.idle:
            a = statistics.median(r["bytes_per_conn"] for r in t)
            b = statistics.median(r["bytes_per_conn"] for r in p)
            parts.append(f"memory ×{a / b:.2f} of {name}" if b > 0 else f"vs {name}: n/a")
            continue
        # Ratios are taken run by run (the two runs of one repetition are minutes apart at most, so a slow
        # drift of the machine cancels out), then the median of those is shown.
        rps = statistics.median(a["rps"] / b["rps"] for a, b in zip(t, p))
        cpu = statistics.median(a["cpu_us"] / b["cpu_us"] for a, b in zip(t, p))
        # The least disturbed runs (the fastest, the cheapest) estimate what each server costs by itself.
        best = min(r["cpu_us"] for r in t) / min(r["cpu_us"] for r in p)
        parts.append(f"{rps:.2f}× rps, {cpu:.2f}× CPU/req (best runs {best:.2f}×) of {name}")
    return "; ".join(parts)


# ---- R1: ngx.re.match ops/s (CPU only, one connection) ------------------------------------------------

def regex_run(peer, seconds):
    """One R1 run: the server runs the match loop for `seconds` on CPU 0; returns matches per second."""
    with tempfile.TemporaryDirectory() as tmp:
        prefix = pathlib.Path(tmp)
        port = free_port()
        loop = prefix / "regex_loop.lua"
        loop.write_text(fill(BENCH / "lua" / "regex_loop.lua", SECONDS=seconds))
        if isinstance(peer, OpenResty):
            (prefix / "tmp").mkdir()
            (prefix / "nginx.conf").write_text(fill(BENCH / "openresty" / "regex.conf", PORT=port, PREFIX=prefix,
                                                    LOOP=loop))
            cmd = ["nginx", "-p", str(prefix), "-c", str(prefix / "nginx.conf"), "-e", str(prefix / "error.log")]
            ask = b"GET / HTTP/1.0\r\n\r\n"
        else:
            (prefix / "conf").mkdir()
            (prefix / "logs").mkdir()
            (prefix / "conf" / "tcplua.conf").write_text(fill(BENCH / "tcplua" / "regex.conf", PORT=port, LOOP=loop))
            cmd = [str(TCPLUA), "-p", str(prefix) + "/", "-c", "conf/tcplua.conf"]
            ask = b"x"
        proc = subprocess.Popen(["taskset", "-c", "0"] + cmd, stdout=subprocess.DEVNULL,
                                stderr=open(prefix / "stderr.log", "w"), cwd=prefix)
        try:
            wait_listening(port, proc)
            with socket.create_connection(("127.0.0.1", port), timeout=seconds + 30) as c:
                c.sendall(ask)
                reply = b""
                while True:
                    b = c.recv(65536)
                    if not b:
                        break
                    reply += b
            words = reply.rsplit(b"\r\n\r\n", 1)[-1].decode().split()
            if len(words) != 2:
                raise RuntimeError(f"{peer.name}: {reply[:200]!r}; " + (prefix / "stderr.log").read_text()[-500:]
                                   + "".join(p.read_text()[-500:] for p in prefix.rglob("error.log")))
            n, secs = words
            return int(n) / float(secs)
        finally:
            stop(proc)


def regex_bench(reps, seconds):
    """R1: `ngx.re.match(line, pattern, "jo")` on a 100-byte line (bench/lua/regex_loop.lua), ops/s for tcplua
    and OpenResty alternately in one run."""
    peers = [p for p in (TCPLua(), OpenResty()) if not p.unavailable(WORKLOADS[0])]
    got = {p.name: [] for p in peers}
    for rep in range(reps):
        for peer in (peers if rep % 2 == 0 else list(reversed(peers))):
            ops = regex_run(peer, seconds)
            got[peer.name].append(ops)
            print(f"R1 {peer.name:14} run {rep + 1}: {ops:,.0f} matches/s", file=sys.stderr, flush=True)
    med = {k: statistics.median(v) for k, v in got.items()}
    cells = " | ".join(f"{med[p.name]:,.0f}" for p in peers)
    ratio = (f"{med['tcplua'] / med['OpenResty Lua']:.2f}×" if len(peers) == 2 else "n/a")
    lines = [f"Machine: {machine()}. R1, runs per server: {reps} × {seconds} s, median; load average "
             f"{os.getloadavg()[0]:.2f}.", "",
             "| workload | " + " | ".join(p.name for p in peers) + " | tcplua / OpenResty |",
             "|---|" + "---|" * (len(peers) + 1),
             f"| R1 ngx.re.match(line, pattern, \"jo\"), 100-byte line, matches/s | {cells} | {ratio} |"]
    text = "\n".join(lines) + "\n"
    OUT.mkdir(exist_ok=True)
    (OUT / "results-r1.md").write_text(text)
    print(text)


def machine():
    model = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    return f"{os.cpu_count()} CPUs, {model}, Linux {os.uname().release}"


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="one run of 2 s per cell (about a minute)")
    ap.add_argument("--only", help="comma-separated workloads, e.g. W1,W4 (R1: the ngx.re.match loop)")
    ap.add_argument("--peers", help="comma-separated servers, e.g. tcplua,floor")
    ap.add_argument("--seconds", type=int, help="seconds per run")
    ap.add_argument("--reps", type=int, help="runs per cell")
    ap.add_argument("--check", action="store_true", help="only check that the peer configs parse")
    args = ap.parse_args()
    peers = [TCPLua(), TCPLuaAccessLog(), Floor(), HAProxy(), OpenResty(), HAProxyNative()]
    if args.check:
        return check(peers)
    reps, seconds, warmup = (1, 2, 1) if args.quick else (3, 10, 1)
    reps, seconds = args.reps or reps, args.seconds or seconds
    if args.peers:
        keys = args.peers.lower().split(",")
        peers = [p for p in peers if any(k in p.name.lower() for k in keys)]
    if args.only and "R1" in args.only.split(","):
        regex_bench(args.reps or (1 if args.quick else 3), args.seconds or (2 if args.quick else 5))
        if args.only == "R1":
            return 0
    workloads = [w for w in WORKLOADS if not args.only or w.key in args.only.split(",")]
    OUT.mkdir(exist_ok=True)
    results = {w.key: {} for w in workloads}
    loads = []
    for w in workloads:
        for rep in range(reps):
            order = peers if rep % 2 == 0 else list(reversed(peers))
            for peer in order:
                why = peer.unavailable(w)
                if why:
                    results[w.key][peer.name] = why
                    continue
                try:
                    r = run_once(peer, w, seconds, warmup)
                except Exception as e:  # a peer that fails shows why, the run goes on
                    results[w.key][peer.name] = f"failed: {e}"
                    continue
                loads.append(r["load"])
                results[w.key].setdefault(peer.name, []).append(r)
                print(f"{w.key} {peer.name:14} run {rep + 1}: {json.dumps(r)}", file=sys.stderr, flush=True)
    lines = [f"Machine: {machine()}. Runs per cell: {reps} × {seconds} s (+{warmup} s warm-up); "
             f"load average before runs: {min(loads, default=0):.2f}–{max(loads, default=0):.2f}.", ""]
    lines.append("| workload | " + " | ".join(p.name for p in peers) + " | tcplua ratios |")
    lines.append("|---|" + "---|" * (len(peers) + 1))
    for w in workloads:
        row = results[w.key]
        lines.append(f"| {w.key} {w.title} | " + " | ".join(cell(row.get(p.name, "not run"), w) for p in peers)
                     + f" | {ratios(row, w)} |")
    text = "\n".join(lines) + "\n"
    (OUT / ("results-quick.md" if args.quick else "results.md")).write_text(text)
    print(text)


def check(peers):
    """For `make test`: each peer config fills in and passes its own syntax check."""
    w = WORKLOADS[0]
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        prefix = pathlib.Path(tmp)
        p1 = next(x for x in WORKLOADS if x.proxy)
        p1.upstream = 9
        checks = [("tcplua", TCPLua().command(w, 1, prefix) + ["-t", "-q"])]
        checks.append(("tcplua proxy", TCPLua().command(p1, 1, prefix) + ["-t", "-q"]))
        if shutil.which("haproxy"):
            checks.append(("haproxy", ["haproxy", "-c", "-q", "-f", HAProxy().command(w, 1, prefix)[-1]]))
            for peer in (HAProxy(), HAProxyNative()):
                cfg = prefix / f"{peer.proxy_template}"
                shutil.copy(peer.command(p1, 1, prefix)[-1], cfg)
                checks.append((f"haproxy {peer.proxy_template}", ["haproxy", "-c", "-q", "-f", str(cfg)]))
        if NGINX_LUA.exists():
            cmd = OpenResty().command(w, 1, prefix)
            checks.append(("nginx", cmd + ["-t", "-q"]))
            (prefix / "p1").mkdir()
            checks.append(("nginx proxy", OpenResty().command(p1, 1, prefix / "p1") + ["-t", "-q"]))
        for name, cmd in checks:
            r = subprocess.run(cmd, capture_output=True, text=True)
            print(f"{name}: {'ok' if r.returncode == 0 else 'FAILED ' + r.stderr.strip()}")
            ok &= r.returncode == 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
