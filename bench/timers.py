#!/usr/bin/env python3
"""Timer-heavy workload: 10,000 pending ngx.timer.at timers expiring together, against 10,000 light threads
each waking from one ngx.sleep of the same length, in one tcplua process (release build, pinned to one core).
Each side's CPU (os.clock: the process's user + system time) covers creating, waiting and running the
callback (a shared-dict incr); the report is microseconds per expiry and the ratio timer/sleep."""
import argparse
import os
import pathlib
import socket
import subprocess
import sys
import tempfile

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from peers import TCPLUA, free_port, stop, wait_listening  # noqa: E402

CONF = """daemon off;
master_process off;
error_log logs/error.log warn;
stream {
    lua_shared_dict bench 1m;
    lua_max_pending_timers $N2;
    lua_max_running_timers $N2;
    server {
        listen 127.0.0.1:$PORT;
        content_by_lua_block {
            if not ngx.receive(1) then return end
            local N, d = $N, ngx.shared.bench
            local function measure(start)
                d:set("n", 0)
                local t0 = os.clock()
                start()
                while d:get("n") < N do ngx.sleep(0.005) end
                return (os.clock() - t0) / N * 1e6
            end
            local function bump() d:incr("n", 1) end
            for rep = 1, $REPS do
                local timers = measure(function()
                    for i = 1, N do assert(ngx.timer.at(0.2, bump)) end
                end)
                local sleeps = measure(function()
                    for i = 1, N do ngx.thread.spawn(function() ngx.sleep(0.2) bump() end) end
                end)
                ngx.say(string.format("%.2f %.2f", timers, sleeps))
            end
        }
    }
}
"""


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--binary", default=str(TCPLUA))
    ap.add_argument("--timers", type=int, default=10000)
    ap.add_argument("--reps", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as prefix:
        port = free_port()
        for d in ("conf", "logs"):
            os.mkdir(os.path.join(prefix, d))
        conf = CONF
        for k, v in (("N2", args.timers * 2), ("PORT", port), ("N", args.timers), ("REPS", args.reps)):
            conf = conf.replace("$" + k, str(v))
        pathlib.Path(prefix, "conf", "tcplua.conf").write_text(conf)
        pin = ["taskset", "-c", "0"] if os.cpu_count() > 1 else []
        proc = subprocess.Popen(pin + [args.binary, "-p", prefix + "/", "-c", "conf/tcplua.conf"])
        try:
            wait_listening(port, proc)
            with socket.create_connection(("127.0.0.1", port), timeout=120) as c:
                c.sendall(b"x")
                out = b""
                while out.count(b"\n") < args.reps:
                    chunk = c.recv(4096)
                    if not chunk:
                        break
                    out += chunk
        finally:
            stop(proc)
    rows = [tuple(map(float, l.split())) for l in out.decode().splitlines() if l.strip()]
    if not rows:
        sys.exit("no result: see the error log")
    timers = sorted(r[0] for r in rows)[len(rows) // 2]
    sleeps = sorted(r[1] for r in rows)[len(rows) // 2]
    print(f"{args.timers} pending timers: {timers:.2f} us CPU per expiry (create + expire + callback)")
    print(f"{args.timers} light threads in ngx.sleep: {sleeps:.2f} us CPU per wake-up (spawn + sleep + wake)")
    print(f"timer / sleep: {timers / sleeps:.2f}x (median of {len(rows)})")


if __name__ == "__main__":
    main()
