#!/usr/bin/env python3
"""User-space instructions per request, counted by valgrind's callgrind: W1 (framed echo, 64 B) on 10
connections one request at a time (`--inflight`: on 50, all in flight), over N requests after a warm-up, for tcplua (release build, `master_process off`) and the C floor.
Instruction counts do not depend on what the rest of the machine is doing, so they compare builds exactly.

    python3 bench/callgrind.py [--requests 20000] [--binary PATH ...] [--access-log on|off|both] [--no-floor]
                               [--shdict] [--keep DIR] [--inflight]
    python3 bench/callgrind.py --proxy [--binary PATH ...]     (P1: each request forwarded through a pooled
                                                                 cosocket to the C floor, not counted)

`--peers` also counts W1 on the benchmark's Lua peers, each as one process (`master_process off`, one thread):
OpenResty's Lua (its config from bench/openresty, the HTTP head sent once per connection) and HAProxy's Lua
service (bench/haproxy).
"""
import argparse
import pathlib
import re
import shutil
import socket
import struct
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
sys.path.insert(0, str(BENCH))
from peers import NGINX_LUA, SHDICT_LUA, fill, free_port, stop, wait_listening  # noqa: E402  (the runner's helpers and W5 calls)


INFLIGHT = False


def drive(port, requests, conns=10, payload=64, head=b""):
    """`requests` framed-echo round trips over `conns` connections. Serial (the default): one request in flight
    at a time, so each one costs the server a loop iteration of its own (the worst case). `--inflight`: 50
    connections, every one with a request in flight (W1's shape: the server finds many ready per wait)."""
    if INFLIGHT:
        conns = 50
    frame = struct.pack(">I", payload) + b"x" * payload
    socks = [socket.create_connection(("127.0.0.1", port)) for _ in range(conns)]
    for s in socks:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.settimeout(30)
        if head:  # OpenResty: the request head its handler takes the raw socket after
            s.sendall(head)
    wave = conns if INFLIGHT else 1
    for i in range(0, requests, wave):
        batch = [socks[(i + k) % conns] for k in range(min(wave, requests - i))]
        for s in batch:
            s.sendall(frame)
        for s in batch:
            got = 0
            while got < len(frame):
                b = s.recv(65536)
                if not b:
                    raise RuntimeError("server closed")
                got += len(b)
    for s in socks:
        s.close()


KEEP = None


def count(cmd, port, requests, env=None, head=b"", cwd=None):
    """Runs `cmd` under callgrind, warms it up, and returns instructions per request of the measured part."""
    out = tempfile.mkdtemp(prefix="tcplua-callgrind-")
    vg = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}/cg.%p", "--dump-instr=no"]
    proc = subprocess.Popen(vg + cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=cwd)
    try:
        wait_listening(port, proc, timeout=60)
        drive(port, 2000, head=head)
        subprocess.run(["callgrind_control", "-z", str(proc.pid)], check=True, capture_output=True)
        drive(port, requests, head=head)
        subprocess.run(["callgrind_control", "-d", str(proc.pid)], check=True, capture_output=True)
    finally:
        stop(proc, timeout=30)  # valgrind takes a while to exit
    dumps = sorted(pathlib.Path(out).glob("cg.*.1"))
    if not dumps:
        raise RuntimeError("no callgrind dump")
    text = dumps[-1].read_text(errors="replace")
    m = re.search(r"^(?:summary|totals):\s+(\d+)", text, re.M)
    if KEEP:  # --keep DIR: the dump stays there, for `callgrind_annotate` per function
        pathlib.Path(KEEP).mkdir(parents=True, exist_ok=True)
        shutil.copy(dumps[-1], pathlib.Path(KEEP) / f"callgrind.{len(list(pathlib.Path(KEEP).iterdir()))}.out")
    shutil.rmtree(out, ignore_errors=True)
    return int(m.group(1)) / requests




def tcplua_cmd(binary, port, access_log, shdict=False, upstream=None):
    prefix = pathlib.Path(tempfile.mkdtemp(prefix="tcplua-callgrind-prefix-"))
    (prefix / "conf").mkdir()
    (prefix / "logs").mkdir()
    template = "proxy.conf" if upstream else "tcplua.conf"
    conf = fill(BENCH / "tcplua" / template, PORT=port, WORKERS=1, WORKLOAD_LUA=SHDICT_LUA["openresty"] if shdict else "",
                SHDICT="lua_shared_dict bench 10m;" if shdict else "",
                ACCESS_LOG="" if access_log else "access_log off;", UPSTREAM=upstream or 0)
    conf = conf.replace("master_process on;", "master_process off;")
    (prefix / "conf" / "tcplua.conf").write_text(conf)
    # valgrind 3.19 cannot read Swift 6.3's DWARF: count a copy without debug info.
    stripped = prefix / "tcplua"
    shutil.copy(binary, stripped)
    subprocess.run(["strip", "--strip-debug", str(stripped)], check=True)
    return [str(stripped), "-p", str(prefix) + "/", "-c", "conf/tcplua.conf"]


def peer_counts(requests, upstream=None):
    """W1 (P1 with `upstream`: through a pooled connection to it) on OpenResty's Lua and HAProxy's Lua, each a
    single process (not counted where not installed)."""
    prefix = pathlib.Path(tempfile.mkdtemp(prefix="tcplua-callgrind-peers-"))
    (prefix / "tmp").mkdir()
    if NGINX_LUA.exists() and shutil.which("nginx"):
        port = free_port()
        conf = fill(BENCH / "openresty" / ("proxy.conf" if upstream else "nginx.conf"), PORT=port, WORKERS=1,
                    PREFIX=prefix, WORKLOAD_LUA="", UPSTREAM=upstream or 0)
        (prefix / "nginx.conf").write_text(conf.replace("master_process on;", "master_process off;"))
        cmd = ["nginx", "-p", str(prefix), "-c", str(prefix / "nginx.conf"), "-e", str(prefix / "error.log")]
        n = count(cmd, port, requests, head=b"GET / HTTP/1.0\r\n\r\n", cwd=prefix)
        print(f"  OpenResty Lua (nginx + lua-nginx-module, ngx.req.socket(true)): {n:,.0f}")
    if shutil.which("haproxy"):
        port = free_port()
        cfg = fill(BENCH / "haproxy" / ("proxy.cfg" if upstream else "haproxy.cfg"), PORT=port, WORKERS=1, BENCH=BENCH,
                   UPSTREAM=upstream or 0)
        (prefix / "haproxy.cfg").write_text(cfg)
        n = count(["haproxy", "-db", "-f", str(prefix / "haproxy.cfg")], port, requests, cwd=prefix)
        print(f"  HAProxy Lua (a Lua TCP service): {n:,.0f}")
    shutil.rmtree(prefix, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--requests", type=int, default=20000)
    ap.add_argument("--binary", action="append", help="tcplua binaries to count (default: the release build)")
    ap.add_argument("--access-log", choices=["on", "off", "both"], default="both")
    ap.add_argument("--no-floor", action="store_true")
    ap.add_argument("--shdict", action="store_true", help="also count W5 (W1 + incr+get+set per request)")
    ap.add_argument("--proxy", action="store_true",
                    help="count P1 only: W1 forwarded through a pooled cosocket to the C floor (uncounted)")
    ap.add_argument("--keep", metavar="DIR", help="keep each callgrind dump in DIR (for callgrind_annotate)")
    ap.add_argument("--peers", action="store_true", help="also count W1 (or P1) on OpenResty's Lua and HAProxy's Lua")
    ap.add_argument("--inflight", action="store_true",
                    help="50 connections, all with a request in flight (default: one request at a time on 10)")
    args = ap.parse_args()
    global KEEP, INFLIGHT
    KEEP, INFLIGHT = args.keep, args.inflight
    shape = "50 connections, all in flight" if INFLIGHT else "10 connections, one request in flight"
    binaries = args.binary or [str(ROOT / ".build" / "release" / "tcplua")]
    if args.proxy:
        up = free_port()
        floor = subprocess.Popen([str(BENCH / "out" / "echo_floor"), str(up)])
        try:
            wait_listening(up, floor)
            print(f"user-space instructions per proxied request, P1 (64 B framed), {args.requests} requests "
                  f"on {shape}")
            for b in binaries:
                port = free_port()
                n = count(tcplua_cmd(b, port, False, upstream=up), port, args.requests)
                print(f"  tcplua {b} P1: {n:,.0f}")
            if args.peers:
                peer_counts(args.requests, upstream=up)
        finally:
            floor.terminate()
            floor.wait()
        return
    logs = {"on": [True], "off": [False], "both": [False, True]}[args.access_log]
    print(f"user-space instructions per request, W1 (64 B framed echo), {args.requests} requests on {shape}")
    if not args.no_floor:
        port = free_port()
        n = count([str(BENCH / "out" / "echo_floor"), str(port)], port, args.requests)
        print(f"  C floor: {n:,.0f}")
    for b in binaries:
        for log in logs:
            port = free_port()
            n = count(tcplua_cmd(b, port, log), port, args.requests)
            print(f"  tcplua {b} (access log {'on' if log else 'off'}): {n:,.0f}")
        if args.shdict:
            port = free_port()
            n = count(tcplua_cmd(b, port, False, shdict=True), port, args.requests)
            print(f"  tcplua {b} W5 (shared dict incr+get+set, access log off): {n:,.0f}")
    if args.peers:
        peer_counts(args.requests)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
