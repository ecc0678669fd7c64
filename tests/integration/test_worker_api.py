"""ngx.worker.id/count/pid/exiting on two workers, and a worker killed with SIGKILL: logged at [alert] with
its signal, replaced within a second, the other worker's clients untouched and the shared dict intact."""
import os
import signal
import time

from conftest import children, pid_alive, wait_until

MAIN = ("daemon off;\nmaster_process on;\nworker_processes 2;\nerror_log logs/error.log info;\n"
        "pid logs/tcplua.pid;\n")

WORKER_CONF = """tcp {
    lua_shared_dict d 1m;
    init_by_lua_block { ngx.shared.d:set("master", tostring(ngx.worker.id()) .. " " .. ngx.worker.count()) }
    init_worker_by_lua_block {
        ngx.shared.d:set("w" .. ngx.worker.id(), ngx.worker.pid() .. " " .. ngx.worker.count())
    }
    server {
        listen 127.0.0.1:$PORT;
        process_by_lua_block {
            local d = ngx.shared.d
            if not ngx.receive(1) then return end
            ngx.say(ngx.worker.id(), " ", ngx.worker.count(), " ", ngx.worker.pid(), " ", tostring(ngx.worker.exiting()))
            ngx.say(d:get("master"), "|", d:get("w0"), "|", d:get("w1"))
            if ngx.receive(1) then ngx.say(tostring(ngx.worker.exiting())) end
        }
    }
}
"""


def workers_of(s, n=2):
    return wait_until(lambda: (lambda c: sorted(c) if len(c) == n else None)(children(s.proc.pid)), 10)


def test_ngx_worker_values_on_two_workers(tcplua):
    s = tcplua(WORKER_CONF, main=MAIN)
    pids = workers_of(s)

    def both_initialized():
        c = s.connect()
        c.send(b"x")
        c.recv_line()
        line = c.recv_line()
        c.close()
        return "nil" not in line.strip().split("|")[1:]

    assert wait_until(both_initialized, 10)  # init_worker_by_lua has run in both
    for _ in range(20):
        c = s.connect()
        c.send(b"x")
        wid, count, pid, exiting = c.recv_line().split()
        dicts = dict(zip(("master", "w0", "w1"), c.recv_line().strip().split("|")))
        c.close()
        assert (count, exiting, dicts["master"]) == ("2", "false", "nil 2")  # id() is nil in init_by_lua
        assert int(pid) in pids and wid in ("0", "1")
        # init_worker_by_lua ran in each worker, with its own id and pid; this reply's agree with its worker's.
        assert sorted(int(dicts[w].split()[0]) for w in ("w0", "w1")) == pids, (dicts, pids)
        assert dicts["w" + wid] == f"{pid} 2"
    # exiting() turns true in a worker a reload retires, for the session it still serves.
    c = s.connect(timeout=20)
    c.send(b"x")
    c.recv_line()
    c.recv_line()
    assert s.run("-s", "reload", timeout=90).returncode == 0
    c.send(b"y")
    assert c.recv_line() == "true\n"


def test_ngx_worker_with_master_process_off(tcplua):
    s = tcplua(WORKER_CONF, main=MAIN.replace("master_process on", "master_process off").replace("worker_processes 2", "worker_processes 1"))
    c = s.connect()
    c.send(b"x")
    wid, count, pid, exiting = c.recv_line().split()
    assert (wid, count, int(pid), exiting) == ("0", "1", s.proc.pid, "false")


KILL_CONF = """tcp {
    lua_shared_dict d 1m;
    init_by_lua_block { ngx.shared.d:set("k", "before") require("ffi").cdef("int usleep(unsigned int);") }
    server {
        listen 127.0.0.1:$PORT;
        process_by_lua_block {
            -- Busy for a moment after each accept, so that the next connection goes to the other worker.
            require("ffi").C.usleep(150000)
            local n = 0
            while ngx.receive(1) do
                n = n + 1
                ngx.say(ngx.worker.pid(), " ", n, " ", ngx.shared.d:get("k"))
                ngx.wait_next_request()
            end
        }
    }
}
"""


def test_kill_9_of_one_worker_replaces_it_and_leaves_the_other_alone(tcplua):
    s = tcplua(KILL_CONF, main=MAIN)
    pids = workers_of(s)
    clients = {}
    for _ in range(40):
        pair = [s.connect()]
        time.sleep(0.03)
        pair.append(s.connect())
        for c in pair:
            c.send(b"x")
            pid = int(c.recv_line().split()[0])
            clients.setdefault(pid, []).append(c)
        if len(clients) == 2 and all(len(v) >= 3 for v in clients.values()):
            break
    assert sorted(clients) == pids and all(len(v) >= 3 for v in clients.values()), {k: len(v) for k, v in clients.items()}
    victim, survivor = pids
    os.kill(victim, signal.SIGKILL)
    killed_at = time.time()
    replacement = wait_until(lambda: [p for p in children(s.proc.pid) if p not in pids], 5, step=0.005)
    assert replacement, children(s.proc.pid)
    assert time.time() - killed_at < 1.0
    s.wait_log(rf"\[alert\] {s.proc.pid}#0: worker process {victim} exited on signal 9")
    for c in clients[victim]:
        assert c.is_closed(wait=5)
    for c in clients[survivor]:  # the same sessions, their locals intact
        c.send(b"x")
        assert c.recv_line() == f"{survivor} 2 before\n"
    assert pid_alive(survivor)
    # The replacement sees the dict the killed worker's siblings share (pairs of connections again, so that
    # one lands on it while the other worker is busy).
    seen = set()
    for _ in range(40):
        pair = [s.connect()]
        time.sleep(0.03)
        pair.append(s.connect())
        for c in pair:
            c.send(b"x")
            pid, n, value = c.recv_line().split()
            c.close()
            assert value == "before"
            seen.add(int(pid))
        if replacement[0] in seen:
            break
    assert replacement[0] in seen, (seen, replacement)


PIDS_CONF = """tcp {
    lua_shared_dict d 1m;
    init_by_lua_block {
        local p, err = ngx.worker.pids() ngx.shared.d:set("init", tostring(p) .. " " .. err)
        require("ffi").cdef("int usleep(unsigned int);")
    }
    init_worker_by_lua_block {
        local p, err = ngx.worker.pids() ngx.shared.d:set("iw", tostring(p) .. " " .. err)
    }
    server {
        listen 127.0.0.1:$PORT;
        process_by_lua_block {
            require("ffi").C.usleep(150000)  -- busy after each accept: the next connection goes to the other worker
            if not ngx.receive(1) then return end
            local d = ngx.shared.d
            ngx.say(ngx.worker.pid(), " ", table.concat(ngx.worker.pids(), ","), " ", d:get("init"), "|", d:get("iw"))
        }
    }
}
"""


def pids_answers(s, want_pids, tries=60):
    """Asks until each of `want_pids` has answered; returns {worker pid: the pids() it listed}."""
    seen = {}
    for _ in range(tries):
        pair = [s.connect()]
        time.sleep(0.03)
        pair.append(s.connect())
        for c in pair:
            c.send(b"x")
            own, listed, phases = c.recv_line().rstrip("\n").split(" ", 2)
            c.close()
            assert phases == "nil API disabled in the current context|nil API disabled in the current context"
            seen[int(own)] = [int(p) for p in listed.split(",")]
        if set(seen) >= set(want_pids):
            return seen
    return seen


def test_ngx_worker_pids_lists_the_generation_and_follows_a_respawn(tcplua):
    s = tcplua(PIDS_CONF, main=MAIN)
    pids = workers_of(s)
    seen = pids_answers(s, pids)
    assert sorted(seen) == pids, seen
    for own, listed in seen.items():  # every worker lists both, itself among them, once each
        assert sorted(listed) == pids and listed.count(own) == 1, (own, listed)
    victim, survivor = pids
    os.kill(victim, signal.SIGKILL)
    replacement = wait_until(lambda: [p for p in children(s.proc.pid) if p not in pids], 5, step=0.005)
    assert replacement, children(s.proc.pid)
    now = sorted([survivor, replacement[0]])
    seen = pids_answers(s, now)
    assert sorted(seen) == now, seen
    for own, listed in seen.items():  # the survivor sees the replacement in the dead worker's slot
        assert sorted(listed) == now, (own, listed)


def test_ngx_worker_pids_with_master_process_off_is_the_process(tcplua):
    s = tcplua(PIDS_CONF, main=MAIN.replace("master_process on", "master_process off"))
    c = s.connect()
    c.send(b"x")
    own, listed, phases = c.recv_line().rstrip("\n").split(" ", 2)
    assert (int(own), listed) == (s.proc.pid, str(s.proc.pid))
    assert phases == "nil API disabled in the current context|nil API disabled in the current context"
