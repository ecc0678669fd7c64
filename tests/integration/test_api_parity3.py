"""ngx.re, shared-dict writes, timers, ngx.sleep, ngx.semaphore, ngx.ctx, encode/decode_args, escape_uri,
receiveuntil/settimeout(s) of both socket kinds and ngx.thread.spawn/wait answer as OpenResty stream-lua with lua-resty-core does. Each case is a divergence a black-box probe found by
running the same script on tcplua and on nginx + http-lua 0.10.23 + lua-resty-core 0.1.25 (the oracle
api-survey.md section 0 names; the functions below are resty.core's Lua or C code shared by the two
subsystems, checked against stream-lua's sources where they differ). PCRE error codes are PCRE2's, as
tcplua's other codes are. Survey sections: 2.2 (the API list), 2.3 (shdict and thread semantics)."""
import re

from probe import SHOW_TABLES, probe


def message(line):
    """The error text of a `show(pcall(...))` line, without the position a level-1/level-3 error() adds."""
    return re.sub(r'^n=2 false "(.*:\d+: )?', "", line)


def run(tcplua, code):
    return probe(tcplua, code, extra="lua_shared_dict dogs 1m;\n", show=SHOW_TABLES)


# --- ngx.re (resty/core/regex.lua, ngx/re.lua) ---

def test_re_named_capture_that_did_not_take_part_is_false(tcplua):
    # collect_named_captures: without "D", res[name] = res[n], false for an unset group.
    lines = run(tcplua, "show(ngx.re.match('hello', '(?<a>x)?(h)')) "
                        "local it = ngx.re.gmatch('a1', '(?<d>\\\\d)|(?<l>[a-z])') show(it()) show(it())")
    assert lines == ['n=1 {0="h",1=false,2="h",a=false}',
                     'n=1 {0="a",1=false,2="a",d=false,l="a"}',
                     'n=1 {0="1",1="1",2=false,d="1",l=false}']


def test_re_start_past_the_subject_end_is_a_pcre_error(tcplua):
    # ctx.pos - 1 > #subj: pcre2_match says PCRE2_ERROR_BADOFFSET (-33); resty.core returns it as an error.
    lines = run(tcplua, "show(ngx.re.match('hello', 'h', '', {pos = 100})) "
                        "show(ngx.re.find('abc', 'b', '', {pos = 5})) "
                        "show(ngx.re.match('abc', 'b', 'o', {pos = 9}))")
    assert lines == ['n=2 nil "pcre_exec() failed: -33"', 'n=3 nil nil "pcre_exec() failed: -33"',
                     'n=2 nil "pcre_exec() failed: -33"']


def test_re_subject_is_coerced_with_tostring(tcplua):
    # re_match_helper, gmatch and split start with `subj = tostring(subj)`.
    lines = run(tcplua, "show(pcall(ngx.re.match, nil, 'n')) show(pcall(ngx.re.find, nil, 'il')) "
                        "show(pcall(ngx.re.match, false, 'al')) "
                        "local it = ngx.re.gmatch(nil, 'l') show(it()) "
                        "local re = require 'ngx.re' show(re.split(nil, 'i')) show(re.split(123, '2'))")
    assert lines == ['n=2 true {0="n"}', 'n=3 true 2 3', 'n=2 true {0="al"}', 'n=1 {0="l"}',
                     'n=1 {1="n",2="l"}', 'n=1 {1="1",2="3"}']


def test_re_gsub_function_result_is_passed_to_tostring(tcplua):
    # re_sub_func_helper: local piece = tostring(replace(res)), so nil becomes "nil".
    lines = run(tcplua, "show(ngx.re.gsub('hello world', 'o', function(m) return nil end)) "
                        "show(ngx.re.sub('ab', 'b', function() return false end))")
    assert lines == ['n=2 "hellnil wnilrld" 2', 'n=2 "afalse" 1']


def test_re_replacement_template_takes_only_group_numbers(tcplua):
    # ngx_*_lua_compile_replace_template: $N, ${N} with digits only, $$; anything else fails.
    lines = run(tcplua, "show(ngx.re.gsub('hello', '(?<v>l)', '[${v}]')) "
                        "show(ngx.re.gsub('hello', '(l)', '[${ 1}]')) "
                        "show(ngx.re.gsub('hello', '(l)', '[${x}]')) "
                        "show(ngx.re.gsub('hello', '(l)', '[${1}$1$$]'))")
    assert lines == ['n=3 nil nil "failed to compile the replacement template"'] * 3 + [
        'n=2 "he[ll$][ll$]o" 2']


def test_re_split_res_argument(tcplua):
    # ngx/re.lua split: a non-table res raises "res is not a table" (level 2); a given table is filled and
    # only the slot after the last piece is cleared.
    lines = run(tcplua, "local re = require 'ngx.re' show(pcall(re.split, 'a,b', ',', nil, nil, nil, 5)) "
                        "local r = {'x', 'y', 'z', 'w'} show(re.split('a,b', ',', nil, nil, nil, r))")
    assert lines == ['n=2 false "res is not a table"', 'n=1 {1="a",2="b",4="w"}']


def test_re_match_res_table_is_not_emptied(tcplua):
    # Since ngx_lua 0.9.6 emptying res is the caller's duty: collect_captures only sets the capture slots.
    lines = run(tcplua, "show(ngx.re.match('x', '(?<n>x)', '', nil, {[1] = 'old', [5] = 'z', foo = 1})) "
                        "show(ngx.re.match('xy', 'x(y)', 'jo', nil, {[3] = 'keep'}))")
    assert lines == ['n=1 {0="x",1="x",5="z",foo=1,n="x"}', 'n=1 {0="xy",1="y",3="keep"}']


# --- shared dict writes (resty/core/shdict.lua, ngx_*_lua_ffi_shdict_store) ---

def test_shdict_add_and_replace_refuse_nil_values(tcplua):
    lines = run(tcplua, "local d = ngx.shared.dogs d:set('a', 5) show(d:replace('a', nil)) show(d:get('a')) "
                        "show(d:add('b', nil)) show(d:safe_add('b', nil)) show(d:get('b')) "
                        "show(d:replace('missing', nil))")
    assert lines == ['n=3 false "attempt to add or replace nil values" false', 'n=1 5',
                     'n=3 false "attempt to add or replace nil values" false',
                     'n=3 false "attempt to add or replace nil values" false', 'n=1 nil',
                     'n=3 false "attempt to add or replace nil values" false']


def test_shdict_incr_init_must_be_a_number(tcplua):
    # shdict_incr: a non-number init that tonumber() cannot convert -> error("bad init arg: ...", 2).
    lines = run(tcplua, "local d = ngx.shared.dogs show(pcall(d.incr, d, 'k', 1, 'x')) "
                        "show(pcall(d.incr, d, 'k', 1, true)) show(pcall(d.incr, d, 'k', 1, '10'))")
    assert lines == ['n=2 false "bad init arg: number expected, got string"',
                     'n=2 false "bad init arg: number expected, got boolean"', 'n=4 true 11 nil false']


# --- ngx.timer (ngx_stream_lua_timer.c) ---

def test_timer_argument_count_is_checked_first(tcplua):
    lines = run(tcplua, "show(pcall(ngx.timer.at)) show(pcall(ngx.timer.at, 1)) "
                        "show(pcall(ngx.timer.every, 1)) show(pcall(ngx.timer.every))")
    assert lines == ['n=2 false "expecting at least 2 arguments but got 0"',
                     'n=2 false "expecting at least 2 arguments but got 1"',
                     'n=2 false "expecting at least 2 arguments but got 1"',
                     'n=2 false "expecting at least 2 arguments but got 0"']


def test_timer_at_with_a_negative_delay_runs_at_once(tcplua):
    # delay = (ngx_msec_t) (luaL_checknumber(L, 1) * 1000): no range check; a negative delay wraps to a
    # timer that is already due.
    lines = run(tcplua, "show(ngx.timer.at(-1, function(p) ngx.shared.dogs:set('neg', tostring(p)) end)) "
                        "ngx.sleep(0.05) show(ngx.shared.dogs:get('neg'))")
    assert lines == ['n=1 1', 'n=1 "false"']


# --- ngx.sleep: luaL_checknumber's message ---

def test_sleep_bad_argument_names_the_type(tcplua):
    lines = run(tcplua, "show(pcall(ngx.sleep, 'x')) show(pcall(ngx.sleep, nil)) show(pcall(ngx.sleep, {}))")
    assert lines == ['n=2 false "bad argument #1 to \'sleep\' (number expected, got string)"',
                     'n=2 false "bad argument #1 to \'sleep\' (number expected, got nil)"',
                     'n=2 false "bad argument #1 to \'sleep\' (number expected, got table)"']


# --- ngx.semaphore (ngx/semaphore.lua) ---

def test_semaphore_post_needs_a_positive_number(tcplua):
    lines = run(tcplua, "local s = require('ngx.semaphore').new(0) show(pcall(s.post, s, 0)) "
                        "show(pcall(s.post, s, -1)) show(s:count())")
    assert lines == ['n=2 false "positive number required"', 'n=2 false "positive number required"', 'n=1 0']


def test_semaphore_wait_woken_by_a_post_returns_true_and_nil(tcplua):
    # A waiter resumed by post gets what the C handler pushes: true, nil.
    lines = run(tcplua, "local s = require('ngx.semaphore').new(0) "
                        "ngx.thread.spawn(function() ngx.sleep(0.01) s:post(2) end) show(s:wait(1)) show(s:count())")
    assert lines == ['n=2 true nil', 'n=1 1']


# --- ngx.ctx (resty/core/ctx.lua) ---

def test_ctx_assignment_of_a_non_table_names_the_type(tcplua):
    lines = run(tcplua, "show(pcall(function() ngx.ctx = 5 end)) show(pcall(function() ngx.ctx = nil end))")
    # resty/core/ctx.lua raises at level 1, so OpenResty's text starts with that file's position.
    assert [message(l) for l in lines] == ['ctx should be a table while getting a number"',
                                           'ctx should be a table while getting a nil"']
    assert all(l.startswith('n=2 false "') for l in lines)


# --- ngx.encode_args / ngx.decode_args (ngx_stream_lua_string.c) ---

def test_encode_args_argument_checks(tcplua):
    lines = run(tcplua, "show(pcall(ngx.encode_args)) show(pcall(ngx.encode_args, {}, 1)) "
                        "show(pcall(ngx.encode_args, {[1] = 'x'})) show(pcall(ngx.encode_args, {[true] = 'x'}))")
    assert lines == ['n=2 false "expecting 1 argument but seen 0"', 'n=2 false "expecting 1 argument but seen 2"',
                     'n=2 false "attempt to use a non-string key in the \\"args\\" option table"',
                     'n=2 false "attempt to use a non-string key in the \\"args\\" option table"']


def test_decode_args_argument_checks(tcplua):
    # n != 1 && n != 2 -> error; luaL_checklstring takes a number; luaL_checkint refuses "x".
    lines = run(tcplua, "show(pcall(ngx.decode_args)) show(pcall(ngx.decode_args, 'a', 1, 2)) "
                        "show(pcall(ngx.decode_args, 5)) show(pcall(ngx.decode_args, 'a=1', 'x')) "
                        "show(pcall(ngx.decode_args, 'a=1&b=2', '1'))")
    assert lines == ['n=2 false "expecting 1 or 2 arguments but seen 0"',
                     'n=2 false "expecting 1 or 2 arguments but seen 3"', 'n=2 true {5=true}',
                     'n=2 false "bad argument #2 to \'decode_args\' (number expected, got string)"',
                     'n=2 true {a="1"}']


# --- ngx.escape_uri (resty/core/uri.lua over ngx_*_lua_escape_uri) ---

PUNCT = "[==[~!*'();:@&=+$,/?#[] <>\"{}|\\^`%]==]"


def test_escape_uri_component_keeps_what_encodeURIComponent_keeps(tcplua):
    lines = run(tcplua, "show(ngx.escape_uri(" + PUNCT + ")) show(ngx.encode_args({a = \"!*'()\"}))")
    assert lines == ['n=1 "~!*\'()%3B%3A%40%26%3D%2B%24%2C%2F%3F%23%5B%5D%20%3C%3E%22%7B%7D%7C%5C%5E%60%25"',
                     'n=1 "a=!*\'()"']


def test_escape_uri_type_argument(tcplua):
    lines = run(tcplua, "show(ngx.escape_uri(" + PUNCT + ", 0)) show(ngx.escape_uri('a b&c', 1)) "
                        "show(ngx.escape_uri('a b', 2)) show(pcall(ngx.escape_uri, 'a', 7)) "
                        "show(pcall(ngx.escape_uri, 'a', '2')) show(pcall(ngx.escape_uri, 'a', -1))")
    assert lines[0] == 'n=1 "~!*\'();:@&=+$,/%3F%23[]%20<>\\"{}|\\\\^`%25"'
    assert lines[1:3] == ['n=1 "a%20b&c"', 'n=1 "a%20b"']
    # error(..., 3): the position of the script's line that called pcall.
    assert [message(l) for l in lines[3:]] == ['\\"type\\" 7 out of range"',
                                                         '\\"type\\" is not a number"',
                                                         '\\"type\\" -1 out of range"']


# --- cosockets, downstream and upstream (ngx_stream_lua_socket_tcp.c) ---

def test_receiveuntil_of_an_empty_pattern_returns_nil_and_error(tcplua):
    lines = run(tcplua, "show(sk:receiveuntil('')) show(ngx.socket.tcp():receiveuntil('', {inclusive = true}))")
    assert lines == ['n=2 nil "pattern is empty"', 'n=2 nil "pattern is empty"']


def test_settimeout_refuses_what_does_not_fit_31_bits(tcplua):
    # timeout = (ngx_int_t) lua_tonumber(L, 2); if (timeout >> 31) "bad timeout value" (settimeouts: each);
    # the seed's positional settimeout(c, s, r) still ignores a value that is not positive.
    lines = run(tcplua, "local u = ngx.socket.tcp() show(pcall(sk.settimeout, sk, -1)) "
                        "show(pcall(u.settimeout, u, 2 ^ 31)) show(pcall(u.settimeouts, u, 1, -5, 1)) "
                        "show(pcall(sk.settimeouts, sk, 1, 1, 2 ^ 31)) show(pcall(u.settimeout, u, -0.5)) "
                        "show(pcall(u.settimeout, u, -1, 100, 100)) show(pcall(u.settimeout, u, 2 ^ 31 - 1))")
    assert lines == ['n=2 false "bad timeout value"'] * 4 + ['n=1 true'] * 3


# --- ngx.thread (ngx_stream_lua_uthread.c) ---

def test_thread_spawn_takes_a_lua_function_and_wait_something(tcplua):
    # spawn: luaL_argcheck(lua_isfunction && !lua_iscfunction, 1, "Lua function expected");
    # wait: nargs == 0 -> "at least one coroutine should be specified".
    lines = run(tcplua, "show(pcall(ngx.thread.spawn)) show(pcall(ngx.thread.spawn, print)) "
                        "show(pcall(ngx.thread.spawn, 1)) show(pcall(ngx.thread.wait))")
    assert lines == ['n=2 false "bad argument #1 to \'spawn\' (Lua function expected)"'] * 3 + [
        'n=2 false "at least one coroutine should be specified"']


# --- ngx.socket.tcp (ngx_stream_lua_socket_tcp: lua_gettop(L) != 0 -> "expecting zero arguments, but got %d") ---

def test_socket_tcp_refuses_arguments(tcplua):
    # The constructor is the classic function itself (no Lua wrapper between the handler and it), so it counts.
    lines = run(tcplua, "show(pcall(ngx.socket.tcp, 1)) show(pcall(ngx.socket.tcp, 1, nil)) "
                        "show(type(ngx.socket.tcp()), type(ngx.socket.stream()))")
    assert lines == ['n=2 false "expecting zero arguments, but got 1"',
                     'n=2 false "expecting zero arguments, but got 2"', 'n=2 "table" "table"']
