#!/usr/bin/env python3
"""System calls per request under W1 (framed echo 64 B, 50 keepalive connections, server on CPU 0, load
generator on CPU 1), for tcplua and the C floor: the kernel's syscall tracepoints counted by `perf stat` on the
server's worker for a few seconds of the run. Shows what each request costs the kernel (one read and one send
or write: the same for both) and how many requests one `epoll_wait` returns, which is how far the loop's cost
per iteration is shared (the serial callgrind count charges a whole iteration to every request).

    python3 bench/syscalls.py [--seconds 3]       (needs perf; tracing slows the servers a little)
"""
import argparse
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from peers import LOADGEN, Floor, TCPLua, free_port, stop, tree  # noqa: E402
from run import WORKLOADS  # noqa: E402

CALLS = ["epoll_wait", "epoll_ctl", "read", "recvfrom", "write", "sendto"]


def count(peer, seconds):
    """Syscalls of `peer`'s worker over `seconds` of W1 load, by name."""
    w = next(x for x in WORKLOADS if x.key == "W1")
    prefix = pathlib.Path(tempfile.mkdtemp(prefix="tcplua-syscalls-"))
    port = free_port()
    proc = peer.start(w, port, prefix)
    try:
        time.sleep(0.5)
        worker = tree(proc.pid)[-1]  # the worker (tcplua's master forks it; the floor is one process)
        gen = subprocess.Popen(["taskset", "-c", "1", str(LOADGEN), "-p", str(port), "-c", str(w.conns), "-s",
                                str(w.payload), "-d", str(seconds + 3), "-w", "1"], stdout=subprocess.DEVNULL)
        time.sleep(1.5)
        events = ",".join([f"syscalls:sys_enter_{c}" for c in CALLS] + ["raw_syscalls:sys_enter"])
        r = subprocess.run(["perf", "stat", "-x,", "-e", events, "-p", str(worker), "--", "sleep", str(seconds)],
                           capture_output=True, text=True)
        gen.wait()
    finally:
        stop(proc)
        shutil.rmtree(prefix, ignore_errors=True)
    counts = {}
    for line in r.stderr.splitlines():
        f = line.split(",")
        if len(f) > 2 and f[0].isdigit():
            counts[f[2].rsplit("sys_enter_", 1)[-1].replace("raw_syscalls:sys_enter", "all")] = int(f[0])
    if not counts:
        raise RuntimeError("perf stat counted nothing: " + r.stderr.strip()[-300:])
    return counts


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=int, default=3)
    args = ap.parse_args()
    if not shutil.which("perf"):
        sys.exit("perf is not installed (Debian: linux-perf)")
    print(f"W1 system calls per request ({args.seconds} s of load, perf stat on the server's worker)")
    for peer in (TCPLua(), Floor()):
        c = count(peer, args.seconds)
        requests = max(1, c.get("read", 0) + c.get("recvfrom", 0))
        per = ", ".join(f"{name} {c.get(name, 0) / requests:.2f}" for name in CALLS + ["all"] if c.get(name))
        print(f"  {peer.name}: {per}; {requests / max(1, c.get('epoll_wait', 0)):.1f} requests per epoll_wait")


if __name__ == "__main__":
    main()
