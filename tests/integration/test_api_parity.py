"""ngx.req.socket(), ngx.timer, ngx.sleep, ngx.semaphore and ngx.re must answer as OpenResty stream-lua (with
lua-resty-core) does: the same argument checks, numbers truncated before they are checked, numeric strings where
luaL_checknumber takes them, and the same count of return values. Each case here answered otherwise (found by
black-box probes)."""

from probe import probe


def run(tcplua, code, data=b""):
    return probe(tcplua, code, data)


# --- ngx.req.socket(): the Lua layer's fixed arities dropped an extra argument the Swift half refuses ---

def test_peek_refuses_an_extra_argument(tcplua):
    lines = run(tcplua, "show(pcall(sk.peek, sk, 1, 2))", b"ab")
    assert lines == ['n=2 false "expecting 2 arguments (including the object), but got 3"']


def test_receiveuntil_refuses_an_extra_argument(tcplua):
    # OpenResty: `n != 2 && n != 3` -> "expecting 2 or 3 arguments (including the object), but got %d".
    lines = run(tcplua, "show(pcall(sk.receiveuntil, sk, 'a', {}, 1))")
    assert lines == ['n=2 false "expecting 2 or 3 arguments (including the object), but got 4"']


def test_tcp_cosocket_receiveuntil_refuses_an_extra_argument(tcplua):
    lines = run(tcplua, "local t = ngx.socket.tcp() show(pcall(t.receiveuntil, t, 'a', {}, 1))")
    assert lines == ['n=2 false "expecting 2 or 3 arguments (including the object), but got 4"']


# --- ngx.timer: delay = (ngx_msec_t) (luaL_checknumber(L, 1) * 1000); `every && delay == 0` is the error ---

def test_timer_at_takes_a_numeric_string_delay(tcplua):
    lines = run(tcplua, "show(pcall(ngx.timer.at, '0', function() end))"
                        "show(pcall(ngx.timer.every, '1', function() end))")
    assert lines == ['n=2 true 1', 'n=2 true 1']


def test_timer_every_below_one_millisecond_is_a_zero_delay(tcplua):
    lines = run(tcplua, "local ok, err = pcall(ngx.timer.every, 0.0001, function() end) "
                        "ngx.say(tostring(ok), ' ', tostring(err))")
    assert lines[0].startswith("false ") and "delay cannot be zero" in lines[0], lines


# --- ngx.sleep: delay = (ngx_int_t) (luaL_checknumber(L, 1) * 1000), then `delay < 0` is the error ---

def test_sleep_of_a_negative_fraction_of_a_millisecond_is_sleep_zero(tcplua):
    lines = run(tcplua, "show(pcall(ngx.sleep, -0.0001))")
    assert lines == ['n=1 true']


# --- ngx.semaphore wait: lua-resty-core `if ret == FFI_OK then return true end` (one value) ---

def test_semaphore_wait_that_need_not_wait_returns_one_value(tcplua):
    lines = run(tcplua, "local s = require('ngx.semaphore').new(1) show(s:wait(0))"
                        "s:post() show(s:wait(1))")
    assert lines == ['n=1 true', 'n=1 true']


# --- ngx.re: no match is `return nil` in lua-resty-core's re_match_helper (one value), for match and find;
#     a gmatch iterator past its last match returns nil (one value) ---

def test_re_match_without_a_match_returns_one_value(tcplua):
    lines = run(tcplua, "show(ngx.re.match('abc', 'x')) show(ngx.re.match('abc', 'x', 'jo'))")
    assert lines == ['n=1 nil', 'n=1 nil']


def test_re_find_without_a_match_returns_one_value(tcplua):
    lines = run(tcplua, "show(ngx.re.find('abc', 'x')) show(ngx.re.find('abc', 'x', 'jo'))")
    assert lines == ['n=1 nil', 'n=1 nil']


def test_re_gmatch_iterator_at_its_end_returns_one_value(tcplua):
    lines = run(tcplua, "local it = ngx.re.gmatch('ab', '.') it() it() show(it()) show(it())")
    assert lines == ['n=1 nil', 'n=1 nil']


# --- settimeout: OpenResty reads the timeout with lua_tonumber (a numeric string is a number there) ---

def test_settimeout_takes_a_numeric_string(tcplua):
    lines = run(tcplua, "show(pcall(sk.settimeout, sk, '100')) "
                        "local t = ngx.socket.tcp() show(pcall(t.settimeout, t, '100')) "
                        "local u = ngx.socket.udp() show(pcall(u.settimeout, u, '100')) "
                        "show(pcall(t.settimeout, t, 'soon'))")
    assert lines[:3] == ['n=1 true', 'n=1 true', 'n=1 true']
    assert lines[3] == "n=1 true", lines  # lua_tonumber's 0 for what is not a number: no error
