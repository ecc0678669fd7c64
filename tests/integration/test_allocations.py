"""Steady state allocates nothing per request: the same framed-echo workload with 10x more requests must
make (almost) no more heap allocations, counted by an LD_PRELOAD malloc counter (tests/support/malloc_count.c)."""
import pathlib
import struct
import subprocess

import pytest

from conftest import ROOT, Server

ECHO = """
tcp {
    $ACCESS_LOG
    server {
        listen 127.0.0.1:$PORT;
        process_by_lua_block {
            local unpack = netutil.unpackint32
            while true do
                local head, err = ngx.receive(4)
                if not head then return end
                local body = ngx.receive(unpack(head))
                ngx.print(head, body)
                ngx.wait_next_request()
            end
        }
    }
}
"""
INIT = "tcp {\n init_by_lua_block { netutil = require 'netutil' }\n"
MAIN = "daemon off;\nmaster_process off;\nerror_log logs/error.log error;\npid logs/tcplua.pid;\n"


@pytest.fixture(scope="module")
def preload(tmp_path_factory):
    out = tmp_path_factory.mktemp("mc") / "malloc_count.so"
    subprocess.run(["gcc", "-shared", "-fPIC", "-O2", "-o", str(out), str(ROOT / "tests/support/malloc_count.c")],
                   check=True)
    return out


def allocations(tmp_path, preload, requests, access_log, connections=4):
    """Runs `requests` echo round trips per connection and returns the server's allocation count at exit."""
    server = Server(tmp_path, ECHO.replace("tcp {", INIT, 1).replace("$ACCESS_LOG", access_log), main=MAIN)
    count_file = tmp_path / "count"
    env = {"LD_PRELOAD": str(preload), "MALLOC_COUNT_FILE": str(count_file), "PATH": "/usr/bin:/bin"}
    server.proc = subprocess.Popen(server.cmd(), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        server.wait_listening()
        payload = b"x" * 64
        frame = struct.pack(">I", len(payload)) + payload
        clients = [server.connect() for _ in range(connections)]
        for _ in range(requests):
            for c in clients:
                c.send(frame)
            for c in clients:
                assert c.recv_exact(len(frame)) == frame
        for c in clients:
            c.close()
    finally:
        server.stop()
    files = list(tmp_path.glob("count.*"))
    assert files, "the malloc counter wrote no report: " + server.error_log()
    return int(files[0].read_text())


@pytest.mark.parametrize("access_log", ["access_log off;", "# the default access log"])
def test_no_allocation_per_request_in_steady_state(tmp_path, preload, access_log):
    few = allocations(tmp_path / "few", preload, 200, access_log)
    many = allocations(tmp_path / "many", preload, 2200, access_log)
    if "off" not in access_log:
        lines = (tmp_path / "many" / "logs" / "access_tcp.log").read_text().splitlines()
        assert len(lines) >= 4 * 2200, len(lines)
    extra_requests = 4 * 2000
    per_request = (many - few) / extra_requests
    print(f"allocations: {few} for 800 requests, {many} for 8800: {per_request:.4f} per request")
    assert per_request < 0.01, f"{many - few} more allocations for {extra_requests} more requests"
