"""ngx.log / print: the error-log line format, chunk names, levels and level filtering."""
import datetime
import re

from conftest import lua_file_server, lua_server

ONE_LINE = "tcp {{\n    server {{\n        listen 127.0.0.1:$PORT;\n        process_by_lua '{code}';\n    }}\n}}\n"
# with the 4 MAIN lines first, `process_by_lua` is on line 8 of tcplua.conf


def test_log_line_format_exact(tcplua):
    s = tcplua(ONE_LINE.format(code='ngx.log(ngx.ERR, "hello, log", 1234, 3.14159) ngx.say("done")'))
    assert s.connect().recv_all() == b"done\n"
    m = s.wait_log(
        r"(?m)^(\d{4}/\d\d/\d\d \d\d:\d\d:\d\d) \[error\] (\d+)#0: \*(\d+) \[lua\] process_by_lua\(tcplua\.conf:8\):1: "
        r"hello, log12343\.14159, client: 127\.0\.0\.1, server: 127\.0\.0\.1:" + str(s.port) + "$")
    assert int(m.group(2)) == s.proc.pid  # master_process off: the one process writes the log
    stamp = datetime.datetime.strptime(m.group(1), "%Y/%m/%d %H:%M:%S")
    assert abs((stamp - datetime.datetime.now()).total_seconds()) < 5  # local time


def test_connection_numbers_increase(tcplua):
    # the harness's readiness probe is a connection too: only sessions that receive a byte log
    s = tcplua(ONE_LINE.format(code='if ngx.receive(1) then ngx.log(ngx.ERR, "conn") ngx.say("x") end'))
    for _ in range(3):
        c = s.connect()
        c.send("a")
        assert c.recv_all() == b"x\n"
    s.wait_log(r"(?s)(conn, client.*){3}")
    nums = [int(re.search(r" \*(\d+) \[lua\]", l).group(1)) for l in s.log_lines(r"\[lua\] .*: conn, client")]
    assert len(nums) == 3
    assert nums == sorted(nums) and len(set(nums)) == 3, nums


LEVELS = r'''
if not ngx.receive(1) then return end  -- skip the harness's readiness probe
ngx.log(ngx.STDERR, "lvl-stderr")
ngx.log(ngx.EMERG, "lvl-emerg")
ngx.log(ngx.ALERT, "lvl-alert")
ngx.log(ngx.CRIT, "lvl-crit")
ngx.log(ngx.ERR, "lvl-err")
ngx.log(ngx.WARN, "lvl-warn")
ngx.log(ngx.NOTICE, "lvl-notice")
ngx.log(ngx.INFO, "lvl-info")
ngx.log(ngx.DEBUG, "lvl-debug")
ngx.say("ok")
'''
TAGS = [("stderr", ""), ("emerg", "emerg"), ("alert", "alert"), ("crit", "crit"), ("err", "error"),
        ("warn", "warn"), ("notice", "notice"), ("info", "info"), ("debug", "debug")]


def test_every_level_has_its_tag(tcplua):
    s = tcplua(lua_server(LEVELS))
    c = s.connect()
    c.send("a")
    assert c.recv_all() == b"ok\n"
    s.wait_log(r"lvl-debug, client")
    for marker, tag in TAGS:
        lines = s.log_lines(rf"\[lua\] .*: lvl-{marker}, client")
        assert len(lines) == 1, (marker, s.error_log())
        assert re.match(r"\d{4}/\d\d/\d\d \d\d:\d\d:\d\d \[" + tag + r"\] \d+#0: \*\d+ \[lua\] ", lines[0]), lines[0]


def test_levels_are_filtered_by_error_log_level(tcplua):
    main = "daemon off;\nmaster_process off;\nerror_log logs/error.log warn;\npid logs/tcplua.pid;\n"
    s = tcplua(lua_server(LEVELS + 'ngx.log(ngx.WARN, "last-marker")'), main=main)
    c = s.connect()
    c.send("a")
    assert c.recv_all() == b"ok\n"
    s.wait_log(r"last-marker, client")
    log = s.error_log()
    for marker in ("stderr", "emerg", "alert", "crit", "err", "warn"):
        assert f"lvl-{marker}, client" in log, marker
    for marker in ("notice", "info", "debug"):
        assert f"lvl-{marker}," not in log, marker


def test_global_print_logs_at_notice(tcplua):
    s = tcplua(ONE_LINE.format(code='print("x", 1, nil, true) ngx.say("p")'))
    assert s.connect().recv_all() == b"p\n"
    s.wait_log(r"\[notice\] \d+#0: \*\d+ \[lua\] process_by_lua\(tcplua\.conf:8\):1: x1niltrue, client: 127\.0\.0\.1")


def test_chunk_name_of_a_file_is_its_path(tcplua):
    s = tcplua(lua_file_server("conf/h.lua"), files={"conf/h.lua": 'local x = 1\nngx.log(ngx.WARN, "from file")\n'})
    assert s.connect().recv_all() == b""
    s.wait_log(r"\[warn\] \d+#0: \*\d+ \[lua\] conf/h\.lua:2: from file, client: 127\.0\.0\.1, server: 127\.0\.0\.1:"
               + str(s.port))


def test_chunk_name_and_line_of_a_block(tcplua):
    # lua_server puts process_by_lua_block on line 10; its body starts on the directive's line
    s = tcplua(lua_server('local a = 1\nngx.log(ngx.ERR, "in block")'))
    s.connect().recv_all()
    s.wait_log(r"\[lua\] process_by_lua\(tcplua\.conf:10\):3: in block, client")


def test_log_line_is_of_the_calling_function(tcplua):
    s = tcplua(lua_file_server("conf/h.lua"),
               files={"conf/h.lua": 'local function f()\n    ngx.log(ngx.ERR, "inner")\nend\nf()\n'})
    s.connect().recv_all()
    s.wait_log(r"\[lua\] conf/h\.lua:2: inner, client")


def test_log_bad_level_is_an_error(tcplua):
    s = tcplua(lua_server(
        'local ok = pcall(ngx.log, 9, "x") local ok2 = pcall(ngx.log, "warn", "y") ngx.say(tostring(ok), tostring(ok2))'))
    assert s.connect().recv_all() == b"falsefalse\n"


def test_log_in_init_by_lua_has_no_connection(tcplua):
    conf = lua_server('ngx.say("i")', extra_tcp='init_by_lua_block { ngx.log(ngx.WARN, "from init") }')
    s = tcplua(conf)
    s.wait_log(r"(?m)^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d \[warn\] \d+#0: \[lua\] \S+: from init$")
