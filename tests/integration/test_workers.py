"""worker_processes N: the master forks N workers that all accept on the same sockets, respawns a dead one,
and takes them all down with it; QUIT lets a running session finish."""
import os
import signal
import time

from conftest import children, lua_server, pid_alive, wait_until

MAIN = "daemon off;\nmaster_process on;\nworker_processes 2;\nerror_log logs/error.log info;\npid logs/tcplua.pid;\n"
PID_ECHO = lua_server('ngx.say(require("ffi").C.getpid())', extra_tcp='init_by_lua_block { require("ffi").cdef("int getpid(void);") }')


def test_two_workers_serve_and_respawn(tcplua):
    s = tcplua(PID_ECHO, main=MAIN)
    master = s.proc.pid
    workers = wait_until(lambda: (lambda c: c if len(c) == 2 else None)(children(master)), 5)
    assert len(workers) == 2
    served = {int(s.connect().recv_all()) for _ in range(40)}
    assert served <= set(workers), (served, workers)
    os.kill(workers[0], signal.SIGKILL)
    replacement = wait_until(lambda: [w for w in children(master) if w not in workers], 5)
    assert len(replacement) == 1
    s.wait_log(rf"\[alert\] {master}#0: worker process {workers[0]} exited on signal 9")
    served = {int(s.connect().recv_all()) for _ in range(40)}
    assert served <= {workers[1], replacement[0]}
    s.stop()
    assert wait_until(lambda: not pid_alive(workers[1]) and not pid_alive(replacement[0]), 5)


def test_quit_lets_a_running_session_finish(tcplua):
    conf = lua_server('ngx.say("start") ngx.sleep(0.5) ngx.say("done")')
    s = tcplua(conf, main=MAIN.replace("worker_processes 2", "worker_processes 1"))
    c = s.connect()
    assert c.recv_line() == "start\n"
    s.proc.send_signal(signal.SIGQUIT)
    assert c.recv_all() == b"done\n"
    assert s.proc.wait(timeout=5) == 0
    assert not (s.prefix / "logs" / "tcplua.pid").exists()
