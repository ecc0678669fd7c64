"""Reload (HUP, `tcplua -s reload`): a new generation of workers on the new code while the old ones finish
their sessions on the old code; the listening sockets stay open, so no connection is refused."""
import signal
import socket
import threading
import time

from conftest import children, pid_alive, wait_until

MAIN = ("daemon off;\nmaster_process on;\nworker_processes 2;\nerror_log logs/error.log info;\n"
        "pid logs/tcplua.pid;\n")

# Each request is one byte; the reply names the code's version and the connection's request count (a local).
HANDLER = """local version = "{v}"
local count = 0
while true do
    local data = ngx.receive(1)
    if not data then return end
    count = count + 1
    ngx.say(version, " ", count)
    ngx.wait_next_request()
end
"""


def conf(listens=("127.0.0.1:$PORT",), extra_tcp=""):
    ls = "".join(f"        listen {l};\n" for l in listens)
    return ("tcp {\n" + extra_tcp + "\n    server {\n" + ls
            + "        process_by_lua_file lua/handler.lua;\n    }\n}\n")


def start(tcplua, version="v1", **kw):
    return tcplua(conf(**kw), files={"lua/handler.lua": HANDLER.format(v=version)}, main=MAIN)


def request(c):
    c.send(b"x")
    return c.recv_line().split()


def reload(s, version=None, conf_text=None):
    """Writes the new handler (and config) and runs `tcplua -s reload`; returns the completed process."""
    if version:
        (s.prefix / "lua" / "handler.lua").write_text(HANDLER.format(v=version))
    if conf_text is not None:
        (s.prefix / "conf" / "tcplua.conf").write_text(MAIN + conf_text.replace("$PORT", str(s.port)))
    return s.run("-s", "reload", timeout=90)


def workers_of(s, n=2):
    return wait_until(lambda: (lambda c: sorted(c) if len(c) == n else None)(children(s.proc.pid)), 10)


class Load:
    """50 clients requesting in a loop: each opens a connection, makes a few requests on it, closes it and
    opens the next; every connection's replies, connect failures and request failures are recorded."""

    def __init__(self, port, clients=50, per_connection=5):
        self.port, self.clients, self.per_connection = port, clients, per_connection
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.connections = []  # (opened_at, [versions])
        self.failures = []
        self.threads = [threading.Thread(target=self.run) for _ in range(clients)]

    def run(self):
        while not self.stop.is_set():
            opened = time.time()
            try:
                sock = socket.create_connection(("127.0.0.1", self.port), timeout=20)
            except OSError as e:
                with self.lock:
                    self.failures.append(f"connect: {e!r}")
                continue
            versions = []
            try:
                sock.settimeout(20)
                f = sock.makefile("rb")
                for i in range(self.per_connection):
                    sock.sendall(b"x")
                    line = f.readline().decode().split()
                    if len(line) != 2 or line[1] != str(i + 1):
                        raise AssertionError(f"bad reply {line!r} to request {i + 1}")
                    versions.append(line[0])
                f.close()
            except (OSError, AssertionError) as e:
                with self.lock:
                    self.failures.append(f"request: {e!r} after {versions}")
            finally:
                sock.close()
            with self.lock:
                self.connections.append((opened, versions))

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for t in self.threads:
            t.join(60)


def test_reload_under_load_answers_every_request_and_switches_code(tcplua):
    s = start(tcplua, "v1")
    old = workers_of(s)
    with Load(s.port) as load:
        time.sleep(1.0)
        r = reload(s, "v2")
        assert r.returncode == 0, r.stderr
        reloaded_at = time.time()
        time.sleep(2.5)
    print("connections", len(load.connections), "requests", sum(len(v) for _, v in load.connections))
    assert load.failures == [], load.failures[:5]
    assert len(load.connections) > 100, len(load.connections)
    for opened, versions in load.connections:
        assert len(set(versions)) == 1, versions  # a connection keeps the code it started with
    assert {v[0] for _, v in load.connections} == {"v1", "v2"}
    # `-s reload` answers once the old workers have closed their listening sockets: every connection opened
    # after it returned gets the new code.
    after = [v[0] for opened, v in load.connections if opened > reloaded_at]
    assert after and set(after) == {"v2"}, set(after)
    new = workers_of(s)
    assert not set(new) & set(old), (old, new)
    assert wait_until(lambda: not any(pid_alive(p) for p in old), 10)
    s.wait_log(r"\[notice\] \d+#0: signal 1 received from \d+, reconfiguring")
    s.wait_log(rf"\[notice\] \d+#0: worker process {old[0]} exited with code 0")


def test_parked_client_keeps_its_locals_across_three_reloads(tcplua):
    s = start(tcplua, "v1")
    c = s.connect(timeout=20)
    assert request(c) == ["v1", "1"]
    for n, version in enumerate(("v2", "v3", "v4"), start=2):
        r = reload(s, version)
        assert r.returncode == 0, r.stderr
        assert request(c) == ["v1", str(n)]  # the same Lua thread, on the old code, with its locals
        fresh = s.connect(timeout=20)
        assert request(fresh) == [version, "1"]
        fresh.close()
    assert request(c) == ["v1", "5"]
    c.close()


def test_old_worker_exits_when_its_parked_client_closes(tcplua):
    s = start(tcplua, "v1")
    old = workers_of(s)
    c = s.connect(timeout=20)
    assert request(c) == ["v1", "1"]
    assert reload(s, "v2").returncode == 0
    # The idle old worker leaves; the one with the parked session stays while its client is there.
    assert wait_until(lambda: len([p for p in old if pid_alive(p)]) == 1, 10)
    time.sleep(0.5)
    alive = [p for p in old if pid_alive(p)]
    assert len(alive) == 1, alive
    assert request(c) == ["v1", "2"]
    c.close()
    assert wait_until(lambda: not pid_alive(alive[0]), 10)


def test_keepalive_timeout_ends_a_parked_session_of_a_retired_worker(tcplua):
    s = tcplua(conf().replace("server {\n", "server {\n        keepalive_timeout 1s;\n"),
               files={"lua/handler.lua": HANDLER.format(v="v1")}, main=MAIN)
    old = workers_of(s)
    c = s.connect(timeout=20)
    assert request(c) == ["v1", "1"]
    assert reload(s, "v2").returncode == 0
    assert c.is_closed(wait=10)
    assert wait_until(lambda: not any(pid_alive(p) for p in old), 10)


def test_quit_during_a_retirement_closes_the_parked_sessions(tcplua):
    s = start(tcplua, "v1")
    c = s.connect(timeout=20)
    assert request(c) == ["v1", "1"]
    assert reload(s, "v2").returncode == 0
    s.proc.send_signal(signal.SIGQUIT)
    assert c.is_closed(wait=10)
    assert s.proc.wait(timeout=20) == 0


def test_bad_config_is_refused_and_the_old_one_keeps_serving(tcplua):
    s = start(tcplua, "v1")
    old = workers_of(s)
    good = (s.prefix / "conf" / "tcplua.conf").read_text()
    (s.prefix / "conf" / "tcplua.conf").write_text(good.replace("tcp {\n", "tcp {\n    no_such_directive 1;\n"))
    r = s.run("-s", "reload", timeout=90)
    assert r.returncode == 1
    assert "unknown directive \"no_such_directive\"" in r.stderr and "tcplua.conf:7" in r.stderr, r.stderr
    # HUP sent directly: the master finds the same error and logs it with file and line.
    s.proc.send_signal(signal.SIGHUP)
    s.wait_log(r"\[emerg\] \d+#0: unknown directive \"no_such_directive\" in .*tcplua.conf:7")
    assert workers_of(s) == old
    # The command line refuses a config that does not parse without signalling; a Lua error the master
    # finds is refused by the master, logged, and reported to the command line.
    (s.prefix / "conf" / "tcplua.conf").write_text(good)
    (s.prefix / "lua" / "handler.lua").write_text("local x = = 1\n")
    r = s.run("-s", "reload", timeout=90)
    assert r.returncode == 1, r.stderr
    assert "reload refused" in r.stderr and "handler.lua" in r.stderr, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr
    s.wait_log(r"\[emerg\] \d+#0: failed to load Lua code: .*handler.lua:1")
    s.wait_log(r"reload refused: the old configuration stays in effect")
    assert workers_of(s) == old
    c = s.connect()
    assert request(c) == ["v1", "1"]
    # init_by_lua failing: the same.
    (s.prefix / "lua" / "handler.lua").write_text(HANDLER.format(v="v2"))
    (s.prefix / "conf" / "tcplua.conf").write_text(good.replace("tcp {\n", "tcp {\n    init_by_lua_block { error('boom') }\n"))
    r = s.run("-s", "reload", timeout=90)
    assert r.returncode == 1 and "boom" in r.stderr, r.stderr
    assert workers_of(s) == old
    assert request(c) == ["v1", "2"]
    # And a good one after all that is taken.
    (s.prefix / "conf" / "tcplua.conf").write_text(good)
    assert reload(s).returncode == 0
    assert request(s.connect()) == ["v2", "1"]


def test_a_listen_the_reload_adds_is_opened_and_one_it_removes_is_closed(tcplua):
    from conftest import free_port
    s = start(tcplua, "v1")
    other = free_port()
    r = reload(s, "v2", conf(listens=("127.0.0.1:$PORT", f"127.0.0.1:{other}")))
    assert r.returncode == 0, r.stderr
    c = s.connect()
    assert request(c) == ["v2", "1"]
    from conftest import Client
    assert request(Client(other)) == ["v2", "1"]
    r = reload(s, "v3", conf(listens=(f"127.0.0.1:{other}",)))
    assert r.returncode == 0, r.stderr
    assert request(c) == ["v2", "2"]  # an open connection on the removed listen still gets served
    assert request(Client(other)) == ["v3", "1"]
    s.wait_log(rf"closing listening socket on 127.0.0.1:{s.port}")
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", s.port)) != 0
    # A listen that cannot be bound refuses the whole reload.
    blocker = socket.socket()
    blocker.bind(("127.0.0.1", 0))
    blocker.listen()
    taken = blocker.getsockname()[1]
    r = reload(s, "v4", conf(listens=(f"127.0.0.1:{other}", f"127.0.0.1:{taken}")))
    blocker.close()
    assert r.returncode == 1 and "bind()" in r.stderr, r.stderr
    assert request(Client(other)) == ["v3", "1"]


DICT_HANDLER = """local d = ngx.shared.d
local e = ngx.shared.e
if not ngx.receive(1) then return end
ngx.say("{v} ", d:get("k") or "nil", " ", e and (e:get("k") or "nil") or "-")
"""


def test_shared_dict_survives_reload_and_a_resized_one_is_new(tcplua):
    s = tcplua(conf(extra_tcp="lua_shared_dict d 1m;\nlua_shared_dict e 1m;\n"
                    "init_by_lua_block { if not ngx.shared.d:get('k') then ngx.shared.d:set('k', 'init') end }"),
               files={"lua/handler.lua": DICT_HANDLER.format(v="v1")}, main=MAIN)

    def ask():
        c = s.connect()
        c.send(b"x")
        return c.recv_line().split()

    set_conf = conf(extra_tcp="lua_shared_dict d 1m;\nlua_shared_dict e 1m;\n")
    (s.prefix / "lua" / "handler.lua").write_text(
        "if not ngx.receive(1) then return end\nngx.shared.d:set('k', 'kept')\nngx.shared.e:set('k', 'kept')\nngx.say('set')\n")
    r = reload(s, conf_text=set_conf)
    assert r.returncode == 0, r.stderr
    assert ask() == ["set"]
    (s.prefix / "lua" / "handler.lua").write_text(DICT_HANDLER.format(v="v3"))
    r = reload(s, conf_text=conf(extra_tcp="lua_shared_dict d 1m;\nlua_shared_dict e 2m;\n"
                                 "init_by_lua_block { if not ngx.shared.d:get('k') then ngx.shared.d:set('k', 'init') end }"))
    assert r.returncode == 0, r.stderr
    assert ask() == ["v3", "kept", "nil"]  # d kept its data (init_by_lua saw it); e is a new zone
    s.wait_log(r"shared zone \"e\" changed size from 1048576 to 2097152")


def test_reload_with_master_process_off_is_refused_at_once(tcplua):
    from conftest import MAIN as SINGLE
    s = tcplua(conf(), files={"lua/handler.lua": HANDLER.format(v="v1")}, main=SINGLE)
    started = time.time()
    r = s.run("-s", "reload", timeout=90)
    assert r.returncode == 1 and time.time() - started < 10
    assert "reload needs master_process on" in r.stderr, r.stderr
    assert request(s.connect()) == ["v1", "1"]
