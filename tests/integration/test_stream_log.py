"""Error-log lines in stream {} configs as stream-lua writes them: `stream [lua] chunk:line: ` with the
basename of a file chunk and `fn(): ` inside a named function, `bad log level: 9`, `unknown reason` for a
non-string error, and stream-lua's traceback (`coroutine 0:`, the handler's chunk `in main chunk`)."""
import re

from conftest import MAIN


def stream(code, extra_server="", extra_stream=""):
    return ("stream {\n" + extra_stream + "\n    server {\n        listen 127.0.0.1:$PORT;\n" + extra_server
            + "\n        content_by_lua_block {\n" + code + "\n        }\n    }\n}\n")


def stream_file(path, extra_stream=""):
    return ("stream {\n" + extra_stream + "\n    server {\n        listen 127.0.0.1:$PORT;\n"
            + f"        content_by_lua_file {path};\n    }}\n}}\n")


def directive_line(s, name):
    return next(i for i, l in enumerate(s.conf_text.splitlines(), 1) if name in l)


def test_inline_block_line_format(tcplua):
    s = tcplua(stream('if not ngx.receive(1) then return end\nngx.log(ngx.ERR, "hello", 1, nil, true)\n'
                      'ngx.say("done")'))
    c = s.connect()
    c.send("x")
    assert c.recv_all() == b"done\n"
    line = directive_line(s, "content_by_lua_block")
    # the block's Lua line 1 is the directive's line: the ngx.log call is two lines further, Lua line 3
    s.wait_log(r"(?m)^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d \[error\] \d+#0: \*\d+ stream \[lua\] "
               rf"content_by_lua\(tcplua\.conf:{line}\):3: hello1niltrue, client: 127\.0\.0\.1, "
               rf"server: 127\.0\.0\.1:{s.port}$")


FILE = '''local function bar()
    ngx.log(ngx.WARN, "from bar")
end
function foo()
    print("from foo")
end
if not ngx.receive(1) then return end
bar()
foo()
ngx.log(ngx.ERR, "from chunk")
'''


def test_file_chunk_basename_and_function_names(tcplua):
    s = tcplua(stream_file("conf/lua/test.lua"), files={"conf/lua/test.lua": FILE})
    c = s.connect()
    c.send("x")
    c.recv_all()
    s.wait_log(r"from chunk")
    log = s.error_log()
    assert re.search(r"\[warn\] \d+#0: \*\d+ stream \[lua\] test\.lua:2: bar\(\): from bar, client", log), log
    assert re.search(r"\[notice\] \d+#0: \*\d+ stream \[lua\] test\.lua:5: foo\(\): from foo, client", log), log
    assert re.search(r"\[error\] \d+#0: \*\d+ stream \[lua\] test\.lua:10: from chunk, client", log), log


def test_bad_log_level_message(tcplua):
    s = tcplua(stream('local ok, err = pcall(ngx.log, 9, "x") ngx.say(tostring(ok), " ", err)\n'
                      'local ok2, err2 = pcall(ngx.log, "warn", "y") ngx.say(tostring(ok2), " ", err2)'))
    out = s.connect().recv_all().decode().splitlines()
    assert out[0] == "false bad argument #1 to 'log' (bad log level: 9)"
    assert out[1] == "false bad argument #1 to 'log' (number expected, got string)"


def test_error_nil_is_unknown_reason(tcplua):
    s = tcplua(stream('ngx.print("p") error(nil)'))
    assert s.connect().recv_all() == b"p"
    s.wait_log(r"\[error\] \d+#0: \*\d+ lua entry thread aborted: runtime error: unknown reason\n"
               r"stack traceback:\ncoroutine 0:\n\t\[C\]: in function 'error'\n"
               r"\tcontent_by_lua\(tcplua\.conf:\d+\):2: in main chunk, client: 127\.0\.0\.1")


def test_traceback_names_functions_and_the_main_chunk(tcplua):
    code = 'local function inner()\n    error("boom")\nend\ninner()\n'
    s = tcplua(stream_file("conf/t.lua"), files={"conf/t.lua": code})
    assert s.connect().recv_all() == b""
    m = s.wait_log(r"lua entry thread aborted: runtime error: \S*t\.lua:2: boom\nstack traceback:\ncoroutine 0:\n"
                   r"\t\[C\]: in function 'error'\n\t\S*t\.lua:2: in function 'inner'\n"
                   r"\t\S*t\.lua:4: in main chunk, client: ")
    assert m


def test_init_by_lua_in_a_stream_config_logs_stream_lines(tcplua):
    s = tcplua(stream('ngx.say("i")', extra_stream='init_by_lua_block { ngx.log(ngx.WARN, "from init") }'))
    s.wait_log(r"(?m)^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d \[warn\] \d+#0: stream \[lua\] "
               r"init_by_lua\(tcplua\.conf:\d+\):1: from init$")


def test_tcp_config_keeps_the_seed_form(tcplua):
    conf = ("tcp {\n    server {\n        listen 127.0.0.1:$PORT;\n"
            "        process_by_lua 'ngx.log(ngx.ERR, \"seed\") error(nil)';\n    }\n}\n")
    s = tcplua(conf)
    s.connect().recv_all()
    s.wait_log(r"\[error\] \d+#0: \*\d+ \[lua\] process_by_lua\(tcplua\.conf:8\):1: seed, client")
    s.wait_log(r"lua entry thread aborted: runtime error: \(error object is a nil value\)")
    assert " stream [lua]" not in s.error_log()
