"""The seed's own example (examples/seed): its config, init_by_lua.lua and test.lua, unchanged but for the port."""
import re
import shutil
import threading
import time

import pytest

from conftest import MAIN, ROOT, Server

SEED = ROOT / "examples" / "seed"
LINE = r"receive ret {data} {err} {partial},-?\d+(\.\d+)?(e[+-]?\d+)?\n"


@pytest.fixture
def seed(tmp_path):
    """The seed example copied into a temporary prefix, listening on a free port; returns a (started) Server."""
    prefix = tmp_path / "seed"
    shutil.copytree(SEED / "conf", prefix / "conf")
    conf = (SEED / "conf" / "tcplua.conf").read_text()
    assert re.search(r"listen 6666;", conf)
    servers = []

    def make(start=True):
        s = Server(prefix, conf.replace("listen 6666;", "listen $PORT;"), main=MAIN)
        servers.append(s)
        return s.start() if start else s

    yield make
    for s in servers:
        s.stop()


def test_seed_config_tests_ok(seed):
    s = seed(start=False)
    r = s.run("-t")
    assert r.returncode == 0, r.stderr
    assert f"tcplua: configuration file {s.prefix}/conf/tcplua.conf test is successful" in r.stderr


def test_seed_request_loop(seed):
    s = seed()
    c = s.connect()
    c.send("hello world")
    assert re.fullmatch(LINE.format(data="hello worl", err="nil", partial="nil"), c.recv_line())
    # "d" stays buffered: wait_next_request returns at once, receive(10, 6) waits for 5 more bytes
    time.sleep(0.1)
    c.send("12345")
    assert re.fullmatch(LINE.format(data="d12345", err="nil", partial="nil"), c.recv_line())
    c.send("abcdefghijklmnop")
    assert re.fullmatch(LINE.format(data="abcdefghij", err="nil", partial="nil"), c.recv_line())
    assert re.fullmatch(LINE.format(data="klmnop", err="nil", partial="nil"), c.recv_line())


def test_seed_waits_for_six_bytes(seed):
    s = seed()
    c = s.connect()
    c.send("hello")
    assert not c.is_closed(wait=0.3)  # nothing sent back: 5 bytes < at_least 6 (read_timeout is 60 s)
    c.sock.settimeout(5)
    c.send("!")
    assert re.fullmatch(LINE.format(data="hello!", err="nil", partial="nil"), c.recv_line())


def test_seed_half_close_reports_closed_and_exits(seed):
    s = seed()
    c = s.connect()
    c.send("abc")
    c.shutdown_write()
    data = c.recv_all().decode()
    assert re.fullmatch(LINE.format(data="nil", err="closed", partial="abc") + "exit\n", data), data


def test_seed_client_close_after_requests(seed):
    s = seed()
    c = s.connect()
    c.send("hello world")
    c.recv_line()
    c.shutdown_write()
    # the buffered "d" is the partial data of the failed receive
    data = c.recv_all().decode()
    assert re.fullmatch(LINE.format(data="nil", err="closed", partial="d") + "exit\n", data), data
    time.sleep(0.1)
    assert "[error]" not in s.error_log()
    assert "[alert]" not in s.error_log() and "[emerg]" not in s.error_log()


def test_seed_abrupt_close_logs_no_error(seed):
    s = seed()
    c = s.connect()
    c.send("hello world")
    c.recv_line()
    c.close()
    # the session ends; the server keeps serving and logs no error
    c2 = s.connect()
    c2.send("second request")
    assert re.fullmatch(LINE.format(data="second req", err="nil", partial="nil"), c2.recv_line())
    time.sleep(0.2)
    assert "[error]" not in s.error_log()


def test_seed_concurrent_clients(seed):
    s = seed()
    results, errors = {}, []

    def run(i):
        try:
            c = s.connect()
            lines = []
            for k in range(3):
                c.send(f"c{i:03d}r{k}xxxx")  # exactly 10 bytes per request
                lines.append(c.recv_line())
            results[i] = lines
            c.close()
        except Exception as e:  # noqa: BLE001
            errors.append((i, repr(e)))

    threads = [threading.Thread(target=run, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=15)
    assert errors == []
    for i in range(20):
        for k in range(3):
            assert re.fullmatch(LINE.format(data=f"c{i:03d}r{k}xxxx", err="nil", partial="nil"), results[i][k])


def test_seed_upstream_test_enabled_against_a_framed_upstream(seed):
    """The README's test.lua with `upstream_test(client_sock)` enabled (and the upstream's port 8000 moved to a
    free one): each request goes through the pooled upstream connection."""
    from upstream import Upstream, framed
    u = Upstream(framed)
    s = seed(start=False)
    lua = s.prefix / "conf" / "test.lua"
    text = lua.read_text()
    assert "   --upstream_test(client_sock)" in text and '"127.0.0.1",8000,"127.0.0.1_8000_1"' in text
    lua.write_text(text.replace("   --upstream_test(client_sock)", "   upstream_test(client_sock)")
                   .replace('"127.0.0.1",8000,', f'"127.0.0.1",{u.port},'))
    s.start()
    try:
        c = s.connect()
        for i in range(3):
            c.send("hello world")
            assert re.fullmatch(LINE.format(data="hello worl", err="nil", partial="nil"), c.recv_line())
            c.send("abcdefghi")  # "d" + 9: the next request
            assert re.fullmatch(LINE.format(data="dabcdefghi", err="nil", partial="nil"), c.recv_line())
        s.wait_log(r"(receive again: \[reply:hello world 1234567890\] nil(.|\n)*){6}")
        reuses = [int(m) for m in re.findall(r"connect : 1 nil (\d+)", s.error_log())]
        assert reuses == list(range(6)), reuses
        assert u.accepted == 1
    finally:
        u.stop()
