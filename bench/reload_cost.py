#!/usr/bin/env python3
"""The cost of reloads: W1 (framed echo 64 B, 50 keepalive connections, worker_processes 1, server pinned to
CPU 0 and the load generator to CPU 1) measured in pairs in one run: a run without reloads, then one with a
HUP to the master every second, repeated. Prints each run's JSON (requests/s, p50, p99) and the medians.

Note what a reload does to W1: the 50 connections never close, so they stay on the first generation's
worker (parked sessions keep their code), and every reload adds a generation that accepts nothing; the
cost measured is the master's work (fresh VM, init_by_lua, fork) and the new workers' start-up, on the
same two cores. usage: bench/reload_cost.py [--seconds 10] [--pairs 3]"""
import argparse
import json
import os
import pathlib
import signal
import socket
import statistics
import subprocess
import tempfile
import threading
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
TCPLUA = pathlib.Path(os.environ.get("TCPLUA_BIN") or ROOT / ".build" / "release" / "tcplua")
LOADGEN = ROOT / "bench" / "out" / "loadgen"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--pairs", type=int, default=3)
    args = ap.parse_args()
    prefix = pathlib.Path(tempfile.mkdtemp(prefix="tcplua-reload-"))
    (prefix / "conf").mkdir()
    (prefix / "logs").mkdir()
    port = free_port()
    conf = (ROOT / "bench" / "tcplua" / "tcplua.conf").read_text()
    conf = conf.replace("$PORT", str(port)).replace("$WORKERS", "1").replace("$WORKLOAD_LUA", "")
    conf = conf.replace("$ACCESS_LOG", "access_log off;").replace("$SHDICT", "")
    (prefix / "conf" / "tcplua.conf").write_text(conf)
    server = subprocess.Popen(["taskset", "-c", "0", str(TCPLUA), "-p", str(prefix) + "/", "-c", "conf/tcplua.conf"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(300):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if server.poll() is not None:
                    raise SystemExit("tcplua exited: " + (prefix / "logs" / "error.log").read_text())
                time.sleep(0.05)
        else:
            raise SystemExit("tcplua did not start listening")
        results = {"none": [], "every 1s": []}
        for _ in range(args.pairs):
            for mode in ("none", "every 1s"):
                stop = threading.Event()

                def hup():
                    while not stop.wait(1.0):
                        os.kill(server.pid, signal.SIGHUP)

                t = threading.Thread(target=hup)
                if mode != "none":
                    t.start()
                out = subprocess.run(["taskset", "-c", "1", str(LOADGEN), "-p", str(port), "-c", "50", "-s", "64",
                                      "-d", str(args.seconds), "-w", "1"], capture_output=True, text=True).stdout
                stop.set()
                if mode != "none":
                    t.join()
                r = json.loads(out.strip().splitlines()[-1])
                r["reloads"] = mode
                print(json.dumps(r), flush=True)
                results[mode].append(r)
        for mode, rs in results.items():
            print(f"{mode:9} rps median {statistics.median(r['rps'] for r in rs):9.0f}   "
                  f"p99 median {statistics.median(r['p99_us'] for r in rs):6.0f} us   "
                  f"errors {sum(r['errors'] for r in rs)}")
        gens = subprocess.run(["pgrep", "-c", "-P", str(server.pid)], capture_output=True, text=True).stdout.strip()
        print(f"workers alive at the end: {gens}")
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
