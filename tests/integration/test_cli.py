"""The command line: -t, -T, -v, -g, configuration errors, daemon mode with pid file and -s stop, master mode."""
import os
import re
import signal
import socket
import subprocess
import time

from conftest import BIN, children, lua_file_server, lua_server, pid_alive, wait_until

OK_CONF = lua_server('ngx.say("hello")')


def conf_path(s):
    return f"{s.prefix}/conf/tcplua.conf"


def test_t_reports_syntax_ok(make_server):
    s = make_server(OK_CONF)
    r = s.run("-t")
    assert r.returncode == 0, r.stderr
    assert r.stderr.splitlines() == [
        f"tcplua: the configuration file {conf_path(s)} syntax is ok",
        f"tcplua: configuration file {conf_path(s)} test is successful",
    ]
    assert r.stdout == ""


def test_t_does_not_start_serving(make_server):
    s = make_server(OK_CONF)
    t0 = time.time()
    assert s.run("-t", timeout=10).returncode == 0
    assert time.time() - t0 < 5
    with socket.socket() as c:
        assert c.connect_ex(("127.0.0.1", s.port)) != 0


def _fails_with(s, message_regex, line=None):
    r = s.run("-t")
    assert r.returncode == 1, r.stderr
    where = r" in \S*conf/tcplua\.conf:" + (str(line) if line else r"\d+")
    assert re.search(r"(?m)^tcplua: \[emerg\] " + message_regex + where + "$", r.stderr), r.stderr
    assert f"tcplua: configuration file {conf_path(s)} test failed" in r.stderr
    return r


def test_unknown_directive(make_server):
    s = make_server("tcp {\n    foo bar;\n" + OK_CONF[len("tcp {\n"):])
    _fails_with(s, r'unknown directive "foo"', line=6)


def test_directive_not_allowed_here(make_server):
    s = make_server("tcp {\n    listen 127.0.0.1:$PORT;\n" + OK_CONF[len("tcp {\n"):])
    _fails_with(s, r'"listen" directive is not allowed here', line=6)


def test_invalid_number_of_arguments(make_server):
    s = make_server("tcp {\n    server {\n        listen;\n        process_by_lua 'ngx.say(1)';\n    }\n}\n")
    _fails_with(s, r'invalid number of arguments in "listen" directive', line=7)


def test_unexpected_end_of_file(make_server):
    s = make_server("tcp {\n    server {\n        listen 127.0.0.1:$PORT;\n        process_by_lua 'ngx.say(1)';\n    }\n")
    _fails_with(s, r'unexpected end of file, expecting "\}"')


def test_shared_dict_too_small(make_server):
    s = make_server(lua_server('ngx.say(1)', extra_tcp="lua_shared_dict dogs 4k;"))
    _fails_with(s, r'invalid lua shared dict size "4k"', line=6)


def test_lua_syntax_error_in_file_fails_t(make_server):
    s = make_server(lua_file_server("conf/h.lua"), files={"conf/h.lua": 'local a = 1\nlocal x = = 1\n'})
    r = s.run("-t")
    assert r.returncode == 1
    assert re.search(r"conf/h\.lua:2:.*unexpected symbol near '='", r.stderr), r.stderr
    assert f"tcplua: configuration file {conf_path(s)} test failed" in r.stderr


def test_lua_syntax_error_in_block_fails_t(make_server):
    s = make_server(lua_server('local x = = 1'))
    r = s.run("-t")
    assert r.returncode == 1
    assert re.search(r"process_by_lua\(tcplua\.conf:10\):2:.*unexpected symbol near '='", r.stderr), r.stderr


def test_missing_lua_file_fails_t(make_server):
    s = make_server(lua_file_server("conf/missing.lua"))
    r = s.run("-t")
    assert r.returncode == 1
    assert "conf/missing.lua" in r.stderr


def test_config_error_stops_startup(make_server):
    s = make_server("tcp {\n    foo;\n}\n")
    r = s.run(timeout=10)
    assert r.returncode == 1
    assert re.search(r'\[emerg\] unknown directive "foo" in \S*conf/tcplua\.conf:6', r.stderr + s.error_log())


def test_T_dumps_configuration(make_server):
    s = make_server(OK_CONF)
    r = s.run("-T")
    assert r.returncode == 0, r.stderr
    assert f"tcplua: configuration file {conf_path(s)} test is successful" in r.stderr
    assert re.match(r"# configuration file \S*conf/tcplua\.conf:\n", r.stdout), r.stdout[:200]
    assert s.conf_text in r.stdout


def test_v_prints_version_and_the_nginx_it_follows():
    for flag in ("-v", "-V"):
        r = subprocess.run([BIN, flag], capture_output=True, text=True, timeout=10)
        assert r.returncode == 0
        assert r.stderr.splitlines()[0] == "tcplua version: tcplua/0.2.0 (nginx/1.22.1)", r.stderr
    assert r.stderr.count("\n") > 1  # -V adds the configure options


def test_h_shows_value_names_and_each_default_once():
    r = subprocess.run([BIN, "-h"], capture_output=True, text=True, timeout=10)
    assert r.returncode == 0
    for option in ("-s <signal>", "-p <prefix>", "-c <file>", "-e <file>", "-g <directives>"):
        assert option in r.stdout, r.stdout
    text = " ".join(r.stdout.split())
    assert text.count("(default: conf/tcplua.conf)") == 1, r.stdout
    assert text.count("default:") == 3, r.stdout  # -p, -e, -c


def test_s_with_a_missing_pid_file_names_it(make_server):
    s = make_server(OK_CONF)
    r = s.run("-s", "reload")
    assert r.returncode == 1
    pid = s.prefix / "logs" / "tcplua.pid"
    assert r.stderr == f'tcplua: [error] open() "{pid}" failed (2: No such file or directory) ' \
        "(is tcplua running with this prefix and pid file?)\n", r.stderr


def test_s_with_a_stale_pid_file_names_it_and_signals_nothing(make_server):
    s = make_server(OK_CONF)
    pid = s.prefix / "logs" / "tcplua.pid"
    gone = subprocess.Popen(["true"])
    gone.wait()
    pid.write_text(f"{gone.pid}\n")
    r = s.run("-s", "quit")
    assert r.returncode == 1
    assert r.stderr == f'tcplua: [error] kill({gone.pid}, 3) failed (3: No such process) for the pid in "{pid}": ' \
        "the pid file is stale (no such process)\n", r.stderr
    other = subprocess.Popen(["sleep", "30"])
    try:
        pid.write_text(f"{other.pid}\n")
        r = s.run("-s", "stop")
        assert r.returncode == 1
        assert r.stderr == f'tcplua: [error] the pid file "{pid}" is stale: process {other.pid} is not tcplua, ' \
            "not signalled\n", r.stderr
        time.sleep(0.2)
        assert other.poll() is None
    finally:
        other.kill()
        other.wait()


def test_a_prefix_that_does_not_exist_is_one_line(tmp_path):
    for args in ((), ("-s", "quit"), ("-t",)):
        r = subprocess.run([BIN, "-p", str(tmp_path / "nope") + "/", *args], capture_output=True, text=True, timeout=30)
        assert r.returncode == 1
        assert r.stderr == f'tcplua: [emerg] prefix "{tmp_path}/nope/" cannot be used: stat() failed ' \
            "(2: No such file or directory)\n", r.stderr


def test_a_second_start_on_a_running_prefix_is_refused(tcplua):
    s = tcplua(OK_CONF.replace("$PORT", "$PORT"))
    r = s.run()
    assert r.returncode == 1
    pid = s.prefix / "logs" / "tcplua.pid"
    assert r.stderr == f'tcplua: [emerg] tcplua is already running with this prefix: master {s.proc.pid} ("{pid}")\n', \
        r.stderr
    assert s.proc.poll() is None
    # A stale pid file (no such process) does not stop a start.
    s.stop()
    gone = subprocess.Popen(["true"])
    gone.wait()
    pid.write_text(f"{gone.pid}\n")
    s.start()
    assert pid.read_text() == f"{s.proc.pid}\n"


def test_t_warns_for_directives_accepted_but_not_in_effect(make_server):
    s = make_server(lua_server('ngx.say(1)', extra_server="server_name x;\nlua_socket_buffer_size 4k;",
                               extra_tcp="lua_load_resty_core on;"))
    r = s.run("-t")
    assert r.returncode == 0, r.stderr
    warnings = [l for l in r.stderr.splitlines() if "[warn]" in l]
    assert warnings == [
        'tcplua: [warn] "lua_load_resty_core" directive is accepted but has no effect yet in conf/tcplua.conf:6',
        'tcplua: [warn] "server_name" directive is accepted but has no effect yet in conf/tcplua.conf:9',
        'tcplua: [warn] "lua_socket_buffer_size" directive is accepted but has no effect yet in conf/tcplua.conf:10',
    ], r.stderr
    assert r.stderr.splitlines()[-1] == f"tcplua: configuration file {conf_path(s)} test is successful"
    quiet = s.run("-t", "-q")
    assert quiet.returncode == 0 and quiet.stderr == "", quiet.stderr


def test_start_logs_the_warnings_too(tcplua):
    s = tcplua(lua_server('ngx.say(1)', extra_server="server_name x;"))
    assert s.connect().recv_all() == b"1\n"
    s.stop()
    lines = s.log_lines(r'"server_name" directive is accepted but has no effect yet in conf/tcplua\.conf:9$')
    assert len(lines) == 1, s.error_log()
    assert re.match(r"\d{4}/\d\d/\d\d \d\d:\d\d:\d\d \[warn\] \d+#0: ", lines[0]), lines[0]


def test_bad_directive_without_e_goes_to_logs_error_log_in_nginx_format(make_server):
    main = "daemon off;\nmaster_process off;\n"
    s = make_server("tcp {\n    foo bar;\n}\n", main=main)
    r = s.run(timeout=10)
    assert r.returncode == 1
    assert r.stderr == 'tcplua: [emerg] unknown directive "foo" in conf/tcplua.conf:4\n', r.stderr
    lines = s.error_log().splitlines()
    assert len(lines) == 1, lines
    assert re.fullmatch(r'\d{4}/\d\d/\d\d \d\d:\d\d:\d\d \[emerg\] \d+#0: unknown directive "foo" in conf/tcplua\.conf:4',
                        lines[0]), lines[0]


def test_bad_lua_at_start_is_logged_once_per_destination(make_server):
    main = "daemon off;\nmaster_process off;\nerror_log logs/error.log info;\n"
    s = make_server(lua_server("local x = = 1"), main=main)
    r = s.run(timeout=10)
    assert r.returncode == 1
    assert len([l for l in r.stderr.splitlines() if "[emerg]" in l]) == 1, r.stderr
    assert r.stderr.startswith("tcplua: [emerg] "), r.stderr
    assert len(s.log_lines(r"\[emerg\] \d+#0: .*unexpected symbol")) == 1, s.error_log()


def test_start_without_logs_directory_still_reports_on_stderr(make_server):
    s = make_server("tcp {\n    foo;\n}\n", main="daemon off;\n")
    (s.prefix / "logs").rmdir()
    r = s.run(timeout=10)
    assert r.returncode == 1
    assert r.stderr == 'tcplua: [emerg] unknown directive "foo" in conf/tcplua.conf:3\n', r.stderr
    assert not (s.prefix / "logs").exists()


def test_g_adds_main_directives(make_server):
    main = "daemon off;\nmaster_process off;\npid logs/tcplua.pid;\n"
    s = make_server(lua_server('ngx.log(ngx.INFO, "via -g") ngx.say("g")'), main=main)
    s.start(args=("-g", "error_log logs/other.log info;"))
    assert s.connect().recv_all() == b"g\n"
    s.wait_log(r"\[info\] .*\[lua\] .*: via -g, client", log=lambda: s.access_log("logs/other.log"))


def test_g_duplicate_directive(make_server):
    s = make_server(OK_CONF)
    r = s.run("-g", "daemon off;", "-t")
    assert r.returncode == 1
    assert re.search(r'\[emerg\] "daemon" directive is duplicate', r.stderr), r.stderr


DAEMON_MAIN = "daemon on;\nerror_log logs/error.log info;\npid logs/tcplua.pid;\n"


def _start_daemon(s):
    with open(s.prefix / "logs" / "stderr.txt", "w") as err:
        p = subprocess.Popen(s.cmd(), stdout=subprocess.DEVNULL, stderr=err, stdin=subprocess.DEVNULL)
        rc = p.wait(timeout=10)
    assert rc == 0, (s.prefix / "logs" / "stderr.txt").read_text()
    pidfile = s.prefix / "logs" / "tcplua.pid"
    assert wait_until(pidfile.exists, 5), "no pid file"
    text = wait_until(lambda: pidfile.read_text(), 2)
    assert re.fullmatch(r"\d+\n?", text), repr(text)
    return int(text), pidfile


def _kill_all(pid):
    for p in children(pid) + [pid]:
        try:
            os.kill(p, signal.SIGKILL)
        except ProcessLookupError:
            pass


def test_daemon_serves_and_stops_with_s_stop(make_server):
    s = make_server(OK_CONF, main=DAEMON_MAIN)
    pid, pidfile = _start_daemon(s)
    try:
        assert pid_alive(pid)
        s.wait_listening()
        assert s.connect().recv_all() == b"hello\n"
        r = s.run("-s", "stop", timeout=10)
        assert r.returncode == 0, r.stderr
        assert wait_until(lambda: not pid_alive(pid), 5), "daemon still running"
        assert wait_until(lambda: not pidfile.exists(), 2), "pid file not removed"
        with socket.socket() as c:
            assert c.connect_ex(("127.0.0.1", s.port)) != 0
    finally:
        _kill_all(pid)


def test_daemon_stops_on_sigterm(make_server):
    s = make_server(OK_CONF, main=DAEMON_MAIN)
    pid, pidfile = _start_daemon(s)
    try:
        s.wait_listening()
        os.kill(pid, signal.SIGTERM)
        assert wait_until(lambda: not pid_alive(pid), 5), "daemon still running"
        assert wait_until(lambda: not pidfile.exists(), 2), "pid file not removed"
    finally:
        _kill_all(pid)


def test_master_restarts_killed_worker(tcplua):
    main = "daemon off;\nmaster_process on;\nerror_log logs/error.log info;\npid logs/tcplua.pid;\n"
    s = tcplua(OK_CONF, main=main)
    master = s.proc.pid
    seen = set()
    try:
        workers = wait_until(lambda: children(master), 5)
        seen.update(workers)
        assert len(workers) == 1, workers
        assert s.connect().recv_all() == b"hello\n"
        os.kill(workers[0], signal.SIGKILL)
        new = wait_until(lambda: [w for w in children(master) if w != workers[0]], 5)
        seen.update(new)
        assert len(new) == 1, new
        assert pid_alive(master)
        s.wait_listening()
        assert s.connect().recv_all() == b"hello\n"
        assert int((s.prefix / "logs" / "tcplua.pid").read_text()) == master
    finally:
        s.stop()
        wait_until(lambda: not any(pid_alive(w) for w in seen), 5)
        leftover = [w for w in seen if pid_alive(w)]
        for w in leftover:
            os.kill(w, signal.SIGKILL)
    assert leftover == [], "workers outlived the master"


USER_MAIN = "daemon off;\nmaster_process on;\nworker_processes 1;\nerror_log logs/error.log info;\npid logs/tcplua.pid;\n"


def _uid(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("Uid:"):
            return [int(x) for x in line.split()[1:]]


def _gid(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("Gid:"):
            return [int(x) for x in line.split()[1:]]


def test_user_directive_switches_the_workers(tcplua):
    import pwd
    nobody = pwd.getpwnam("nobody")
    s = tcplua(lua_server('ngx.log(ngx.INFO, "served") ngx.say("hi")'), main="user nobody;\n" + USER_MAIN)
    assert s.connect().recv_all() == b"hi\n"  # served: the worker is past its set-up
    workers = children(s.proc.pid)
    assert len(workers) == 1, workers
    if os.geteuid() != 0:
        assert s.log_lines(r'\[warn\] .*the "user" directive makes sense only if the master process runs with '
                           r'super-user privileges, ignored in conf/tcplua\.conf:1')
        return
    assert _uid(workers[0]) == [nobody.pw_uid] * 4
    assert _gid(workers[0]) == [nobody.pw_gid] * 4
    assert _uid(s.proc.pid)[0] == 0  # the master stays root
    s.wait_log(r"\[info\] .*served")  # the worker still writes to the log the master opened


def test_unknown_user_fails_t_and_start(make_server):
    if os.geteuid() != 0:
        return  # not root: the directive is ignored
    s = make_server(OK_CONF, main="user no_such_user_x;\n" + USER_MAIN)
    r = s.run("-t")
    assert r.returncode == 1
    assert 'tcplua: [emerg] getpwnam("no_such_user_x") failed in conf/tcplua.conf:1' in r.stderr, r.stderr
    assert f"tcplua: configuration file {conf_path(s)} test failed" in r.stderr
    s2 = make_server(OK_CONF, main="user nobody no_such_group_x;\n" + USER_MAIN)
    r = s2.run(timeout=10)
    assert r.returncode == 1
    assert r.stderr == 'tcplua: [emerg] getgrnam("no_such_group_x") failed in conf/tcplua.conf:1\n', r.stderr


def test_bind_failure_is_reported_on_stderr_and_in_the_log_once(make_server):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        s = make_server(OK_CONF.replace("$PORT", str(port)), main="daemon off;\nmaster_process off;\n")
        r = s.run(timeout=10)
    assert r.returncode == 1
    message = f"bind() to 127.0.0.1:{port} failed (98: Address already in use)"
    assert r.stderr == f"tcplua: [emerg] {message}\n", r.stderr
    assert len(s.log_lines(re.escape(message))) == 1, s.error_log()
