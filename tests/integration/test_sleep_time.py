"""ngx.sleep (non-blocking, argument checks), the time API, ngx.null and the status constants."""
import datetime
import re
import threading
import time

from conftest import lua_server


def test_sleep_waits_about_the_given_time(tcplua):
    s = tcplua(lua_server(
        'ngx.update_time() local t0 = ngx.now() ngx.sleep(0.1) ngx.update_time()\n'
        'ngx.say(string.format("%.3f", ngx.now() - t0))'))
    c = s.connect()
    t0 = time.time()
    out = c.recv_all()
    elapsed = time.time() - t0
    assert 0.09 <= elapsed < 0.6, elapsed
    assert 0.09 <= float(out) < 0.6, out


def test_sleep_does_not_block_other_connections(tcplua):
    s = tcplua(lua_server(
        'local d = ngx.receive(1) if d == "s" then ngx.sleep(1) ngx.say("slept") else ngx.say("echo ", d) end'))
    sleeper = s.connect()
    sleeper.send("s")
    time.sleep(0.05)
    t0 = time.time()
    other = s.connect()
    other.send("e")
    assert other.recv_all() == b"echo e\n"
    assert time.time() - t0 < 0.5
    assert sleeper.recv_all() == b"slept\n"
    assert time.time() - t0 > 0.8


def test_many_sessions_sleep_concurrently(tcplua):
    s = tcplua(lua_server('ngx.sleep(0.3) ngx.say("done")'))
    results = []

    def run():
        results.append(s.connect(timeout=5).recv_all())

    t0 = time.time()
    threads = [threading.Thread(target=run) for _ in range(30)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [b"done\n"] * 30
    assert time.time() - t0 < 1.5


SLEEP_ARGS = r'''
ngx.say(tostring(pcall(ngx.sleep, 0)))
local ok, err = pcall(ngx.sleep, -1) ngx.say(tostring(ok), "|", err)
ok, err = pcall(ngx.sleep) ngx.say(tostring(ok), "|", err)
ok, err = pcall(ngx.sleep, 1, 2) ngx.say(tostring(ok), "|", err)
'''


def test_sleep_arguments(tcplua):
    s = tcplua(lua_server(SLEEP_ARGS))
    lines = s.connect().recv_all().decode().splitlines()
    assert lines[0] == "true"
    assert re.fullmatch(r"false\|(.*: )?invalid sleep duration", lines[1]), lines[1]
    assert re.fullmatch(r"false\|(.*: )?attempt to pass 0 arguments, but accepted 1", lines[2]), lines[2]
    assert re.fullmatch(r"false\|(.*: )?attempt to pass 2 arguments, but accepted 1", lines[3]), lines[3]


TIME = r'''
ngx.update_time()
ngx.say(ngx.time())
ngx.say(string.format("%.3f", ngx.now()))
ngx.say(ngx.today())
ngx.say(ngx.utctime())
ngx.say(ngx.localtime())
ngx.say(ngx.start_time())
ngx.say(tostring(ngx.time() == math.floor(ngx.time())))
'''


def test_time_functions(tcplua):
    s = tcplua(lua_server(TIME))
    before = time.time()
    lines = s.connect().recv_all().decode().splitlines()
    now = time.time()
    t, n, today, utc, local, start, is_int = lines
    assert re.fullmatch(r"\d+", t), t
    assert before - 2 <= int(t) <= now + 2
    assert before - 2 <= float(n) <= now + 2
    assert is_int == "true"
    assert re.fullmatch(r"\d{4}-\d\d-\d\d", today)
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", utc)
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", local)
    utc_t = datetime.datetime.strptime(utc, "%Y-%m-%d %H:%M:%S").replace(tzinfo=datetime.timezone.utc).timestamp()
    assert abs(utc_t - now) < 3
    local_t = time.mktime(time.strptime(local, "%Y-%m-%d %H:%M:%S"))
    assert abs(local_t - now) < 3
    assert today == local[:10]
    assert float(start) <= float(n)
    assert float(start) > before - 60


def test_now_has_milliseconds(tcplua):
    s = tcplua(lua_server(
        'local seen = false for i = 1, 20 do ngx.sleep(0.013) ngx.update_time()\n'
        'if ngx.now() ~= math.floor(ngx.now()) then seen = true end end ngx.say(tostring(seen))'))
    assert s.connect().recv_all() == b"true\n"


HTTP_TIME = r'''
ngx.say(ngx.tcp_time(1290079655))
ngx.say(ngx.tcplua.http_time(1290079655))
ngx.say(ngx.tcp_time(0))
ngx.say(ngx.parse_tcp_time("Thu, 18 Nov 2010 11:27:35 GMT"))
ngx.say(tostring(ngx.parse_tcp_time("not a date")))
ngx.say(ngx.parse_tcp_time(ngx.tcp_time(1700000000)))
'''


def test_tcp_time_and_parse(tcplua):
    s = tcplua(lua_server(HTTP_TIME))
    assert s.connect().recv_all().decode().splitlines() == [
        "Thu, 18 Nov 2010 11:27:35 GMT",
        "Thu, 18 Nov 2010 11:27:35 GMT",
        "Thu, 01 Jan 1970 00:00:00 GMT",
        "1290079655",
        "nil",
        "1700000000",
    ]


def test_time_is_cached_until_update_time(tcplua):
    s = tcplua(lua_server(
        'local a = ngx.now() local x = 0 for i = 1, 3e7 do x = x + i end local b = ngx.now()\n'
        'ngx.update_time() local c = ngx.now() ngx.say(tostring(a == b), " ", tostring(c >= b))'))
    assert s.connect(timeout=20).recv_all() == b"true true\n"


def test_null_and_status_constants(tcplua):
    s = tcplua(lua_server(
        'ngx.say(type(ngx.null), " ", tostring(ngx.null == ngx.null), " ", tostring(ngx.null == nil))\n'
        'ngx.say(ngx.OK, " ", ngx.ERROR, " ", ngx.AGAIN, " ", ngx.DONE, " ", ngx.DECLINED)'))
    assert s.connect().recv_all() == b"userdata true false\n0 -1 -2 -4 -5\n"


def test_log_level_constants(tcplua):
    s = tcplua(lua_server(
        'ngx.say(ngx.STDERR, ngx.EMERG, ngx.ALERT, ngx.CRIT, ngx.ERR, ngx.WARN, ngx.NOTICE, ngx.INFO, ngx.DEBUG)'))
    assert s.connect().recv_all() == b"012345678\n"
