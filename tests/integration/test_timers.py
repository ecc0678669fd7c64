"""ngx.timer.at/every/running_count/pending_count: callbacks run in a context of their own (cosockets, sleeps,
shared dicts, light threads), log with `context: ngx.timer`, are bounded by lua_max_pending_timers and
lua_max_running_timers, and run prematurely when the worker stops."""
import signal

from conftest import gated_stream as stream, MAIN
from upstream import echo




def test_at_runs_the_callback_with_its_arguments_in_a_timer_context(tcplua):
    s = tcplua(stream(r'''
        local begin = ngx.now()
        local ok, err = ngx.timer.at(0.05, function(premature, a, b)
            ngx.log(ngx.ERR, "elapsed ", ngx.now() - begin >= 0.04, " premature ", tostring(premature), " ", a, b,
                    " phase ", ngx.get_phase())
            local ok, err = pcall(ngx.say, "x")
            ngx.log(ngx.ERR, "say in timer: ", err)
            local ok2, err2 = pcall(ngx.receive, 1)
            ngx.log(ngx.ERR, "receive in timer: ", err2)
        end, "A", 42)
        ngx.say("registered ", ok, " ", tostring(err), " pending ", ngx.timer.pending_count())
    '''))
    c = s.connect()
    c.send("x")
    assert c.recv_line() == "registered 1 nil pending 1\n"
    m = s.wait_log(r"\[error\] \d+#0: \*(\d+) stream \[lua\] content_by_lua\(tcplua\.conf:\d+\):\d+: elapsed true "
                   r"premature false A42 phase timer, context: ngx\.timer, client: 127\.0\.0\.1, "
                   r"server: 127\.0\.0\.1:\d+")
    s.wait_log(r"say in timer: API disabled in the context of ngx\.timer, context: ngx\.timer")
    s.wait_log(r"receive in timer: API disabled in the context of ngx\.timer")


def test_every_repeats_and_the_callback_may_use_sleep_threads_and_shared_dicts(tcplua):
    s = tcplua(stream(r'''
        local d = ngx.shared.counts
        local ok = ngx.timer.every(0.05, function(premature)
            local t = ngx.thread.spawn(function() ngx.sleep(0.01) return 1 end)
            local _, one = ngx.thread.wait(t)
            d:incr("runs", one, 0)
        end)
        ngx.sleep(0.4)
        ngx.say("runs >= 4: ", d:get("runs") >= 4, " pending ", ngx.timer.pending_count())
    ''', extra_stream="lua_shared_dict counts 1m;"))
    c = s.connect()
    c.send("x")
    assert c.recv_line() == "runs >= 4: true pending 1\n"


def test_argument_errors_and_limits(tcplua):
    s = tcplua(stream(r'''
        local f = function() ngx.sleep(1) end
        ngx.say(select(2, pcall(ngx.timer.at, "x", f)))
        ngx.say(select(2, pcall(ngx.timer.every, -1, f)))  -- at(-1) runs at once, as OpenResty's
        ngx.say(select(2, pcall(ngx.timer.at, 1, print)))
        ngx.say(select(2, pcall(ngx.timer.every, 0, f)))
        ngx.say(tostring(ngx.timer.at(10, f)), " ", tostring(ngx.timer.at(10, f)), " ",
                select(2, ngx.timer.at(10, f)))
    ''', extra_stream="lua_max_pending_timers 2;"))
    c = s.connect()
    c.send("x")
    assert c.recv_all().decode() == (
        "bad argument #1 to 'at' (number expected, got string)\ninvalid delay\n"
        "bad argument #2 to 'at' (Lua function expected)\ndelay cannot be zero\n"
        "1 1 too many pending timers\n"
    )


def test_running_timers_limit_drops_and_logs(tcplua):
    s = tcplua(stream(r'''
        ngx.timer.at(0, function() ngx.sleep(0.2) end)
        ngx.timer.at(0, function() ngx.log(ngx.ERR, "second ran") end)
        ngx.sleep(0.05)
        ngx.say("running ", ngx.timer.running_count())
    ''', extra_stream="lua_max_running_timers 1;"))
    c = s.connect()
    c.send("x")
    assert c.recv_line() == "running 1\n"
    s.wait_log(r"\[alert\] .*lua failed to run timer with function defined at content_by_lua\(tcplua\.conf:\d+\):\d+: "
               r"1 lua_max_running_timers are not enough")
    assert "second ran" not in s.error_log()


def test_timer_error_is_logged_and_touches_nothing_else(tcplua):
    s = tcplua(stream(r'''
        ngx.timer.at(0, function() local x = nil; return x.field end)
        ngx.sleep(0.05)
        ngx.say("alive")
    '''))
    c = s.connect()
    c.send("x")
    assert c.recv_line() == "alive\n"
    s.wait_log(r"lua entry thread aborted: runtime error: content_by_lua\(tcplua\.conf:\d+\):\d+: attempt to index "
               r"local 'x' \(a nil value\).*")
    s.wait_log(r", context: ngx\.timer, client: 127\.0\.0\.1")


def test_init_worker_timer_feeds_a_shared_dict_from_a_cosocket(tcplua, upstream):
    u = upstream(echo)
    s = tcplua(
        "stream {\n    lua_shared_dict state 1m;\n    init_worker_by_lua_block {\n" + r'''
            local function feed(premature)
                if premature then return end
                local sock = ngx.socket.tcp()
                assert(sock:connect("127.0.0.1", $UP))
                assert(sock:send("tick\n"))
                local line = assert(sock:receive("*l"))
                sock:setkeepalive()
                ngx.shared.state:incr(line, 1, 0)
            end
            assert(ngx.timer.every(0.05, feed))
        '''.replace("$UP", str(u.port))
        + "    }\n    server {\n        listen 127.0.0.1:$PORT;\n        content_by_lua_block {\n"
        + "            if not ngx.receive(1) then return end\n"
        + "            ngx.say(ngx.shared.state:get(\"tick\") or 0)\n        }\n    }\n}\n"
    )
    import time
    time.sleep(0.5)
    c = s.connect()
    c.send("x")
    n = int(c.recv_line())
    assert n >= 4, n
    assert u.accepted <= 2  # the keepalive pool is reused across timer runs
    lines = [l for l in s.log_lines(r"\[error\]")]
    assert lines == [], lines


def test_pending_timers_run_prematurely_on_graceful_stop(tcplua):
    s = tcplua(stream(r'''
        ngx.timer.at(100, function(premature, tag) ngx.log(ngx.NOTICE, "timer ", tag, " premature: ", tostring(premature)) end, "A")
        ngx.timer.every(100, function(premature) ngx.log(ngx.NOTICE, "every premature: ", tostring(premature)) end)
        ngx.say("ok")
    '''))
    c = s.connect()
    c.send("x")
    assert c.recv_line() == "ok\n"
    s.proc.send_signal(signal.SIGQUIT)
    assert s.proc.wait(10) == 0
    log = s.error_log()
    assert "timer A premature: true" in log
    assert log.count("every premature: true") == 1


def test_timer_of_a_session_with_lua_code_cache_off_runs_in_that_sessions_vm(tcplua):
    s = tcplua(stream(r'''
        session_global = "mine"
        ngx.timer.at(0.05, function() ngx.log(ngx.NOTICE, "timer sees ", tostring(session_global)) end)
        ngx.say("ok")
    ''', extra_server="lua_code_cache off;"))
    c = s.connect()
    c.send("x")
    assert c.recv_all() == b"ok\n"  # the session is over before its timer runs
    s.wait_log(r"timer sees mine, context: ngx\.timer")


def test_a_reload_runs_the_retiring_workers_pending_timers_prematurely(tcplua):
    s = tcplua(stream(r'''
        ngx.timer.at(100, function(premature) ngx.log(ngx.NOTICE, "pending timer premature: ", tostring(premature)) end)
        ngx.say("ok")
    '''), main=MAIN.replace("master_process off", "master_process on"))
    c = s.connect()
    c.send("x")
    assert c.recv_line() == "ok\n"
    s.proc.send_signal(signal.SIGHUP)
    s.wait_log(r"pending timer premature: true", timeout=10)
