"""ngx.say/print tables, ngx.on_abort, ngx.var, and the TCP cosocket's connect, send, setkeepalive,
getreusedtimes, setoption/getoption, settimeout(s) and receiveuntil answer as OpenResty stream-lua with
lua-resty-core does. Each case is a divergence a black-box probe found by running the same script on tcplua and
on nginx + http-lua 0.10.23 + lua-resty-core 0.1.25 (the oracle api-survey.md section 0 names), checked against
stream-lua's C where it has its own (ngx_stream_lua_output.c, _variable.c, _control.c, _socket_tcp.c).
Survey sections: 2.2 (the API list), 2.3 (cosocket semantics); where the survey keeps the seed's behaviour
(`ngx.print` returning `(bytes, "ok")`, setkeepalive's "zero pool size") the cases keep it too."""
from probe import SHOW_TABLES, probe
from upstream import echo


def run(tcplua, code, extra=""):
    return probe(tcplua, code, extra=extra, show=SHOW_TABLES)


def connect(port):
    return f'local function fresh() local s = ngx.socket.tcp() s:settimeout(1000) assert(s:connect("127.0.0.1", {port})) return s end\n'


# --- ngx.say / ngx.print (ngx_stream_lua_output.c) ---

def test_say_of_a_table_with_holes_prints_nil_for_them(tcplua):
    # calc_strlen_in_table takes the largest positive integer key; a missing slot is LUA_TNIL, "nil" (not strict).
    lines = run(tcplua, "show(ngx.say({[1] = 'a', [3] = 'c'})) show(ngx.print({nil, 'x', {[2] = 'y'}}, '\\n'))")
    assert lines == ["anilc", 'n=2 6 "ok"', "nilxnily", 'n=2 9 "ok"']


def test_say_of_a_bad_value_names_the_type_as_stream_lua_does(tcplua):
    # "... or array table expected, but got %s" for an argument, "bad data type %s found" inside a table.
    lines = run(tcplua, "show(pcall(ngx.say, print)) show(pcall(ngx.print, 'a', {print}))")
    assert lines == [
        'n=2 false "bad argument #1 to \'say\' (string, number, boolean, nil, ngx.null, or array table expected, '
        'but got function)"',
        'n=2 false "bad argument #2 to \'print\' (bad data type function found)"']


# --- ngx.on_abort (ngx_stream_lua_control.c) ---

def test_on_abort_checks_the_directive_before_the_argument(tcplua):
    # "lua_check_client_abort is off" comes before coroutine_create_helper looks at the argument.
    lines = run(tcplua, "show(pcall(ngx.on_abort, 1)) show(pcall(ngx.on_abort))")
    assert lines == ['n=3 true nil "lua_check_client_abort is off"'] * 2


def test_on_abort_takes_a_lua_function_only_and_checks_a_duplicate_first(tcplua):
    # luaL_argcheck(lua_isfunction && !lua_iscfunction, 1, "Lua function expected"); "duplicate call" is checked
    # before it.
    lines = run(tcplua, "show(pcall(ngx.on_abort, print)) show(pcall(ngx.on_abort, 1)) "
                        "show(ngx.on_abort(function() end)) show(pcall(ngx.on_abort, 1))",
                extra="lua_check_client_abort on;\n")
    assert lines == ['n=2 false "bad argument #1 to \'on_abort\' (Lua function expected)"',
                     'n=2 false "bad argument #1 to \'on_abort\' (Lua function expected)"',
                     "n=1 1", 'n=3 true nil "duplicate call"']


# --- ngx.var (resty/core/var.lua over ngx_stream_lua_variable.c) ---

def test_var_names_are_case_insensitive(tcplua):
    # ngx_hash_strlow(lowcase_buf, name_data, name_len) before the lookup.
    lines = run(tcplua, "show(ngx.var.REMOTE_ADDR, ngx.var.Server_Addr)")
    assert lines == ['n=2 "127.0.0.1" "127.0.0.1"']


def test_var_name_that_is_not_a_string_or_number_raises(tcplua):
    # var_get: a number is a capture id (none in stream: nil); anything else error("bad variable name", 2).
    lines = run(tcplua, "show(ngx.var[1]) show(pcall(function() return ngx.var[true] end)) "
                        "show(pcall(function() ngx.var[1] = 'x' end))")
    assert lines == ["n=1 nil", 'n=2 false "bad variable name"', 'n=2 false "bad variable name"']


def test_var_write_of_an_unknown_variable_says_it_was_not_found(tcplua):
    lines = run(tcplua, "show(pcall(function() ngx.var.nonexistent = 'x' end)) "
                        "show(pcall(function() ngx.var.remote_addr = 'x' end))")
    assert lines == [
        'n=2 false "variable \\"nonexistent\\" not found for writing; maybe it is a built-in variable that is not '
        'changeable or you forgot to use \\"set $nonexistent \'\';\\" in the config file to define it first"',
        'n=2 false "variable \\"remote_addr\\" not changeable"']


def test_var_write_coerces_the_value_with_tostring(tcplua):
    # var_set: `if type(value) ~= 'string' then value = tostring(value) end`.
    lines = run(tcplua, "ngx.var.foo = true show(ngx.var.foo) ngx.var.foo = 12 show(ngx.var.foo) "
                        "ngx.var.foo = nil show(ngx.var.foo)", extra="lua_add_variable $foo;\n")
    assert lines == ['n=1 "true"', 'n=1 "12"', "n=1 nil"]


def test_var_write_of_a_table_goes_through_its_tostring(tcplua):
    # tostring honours __tostring (and its error); a table without one is "table: 0x...".
    lines = run(tcplua, "ngx.var.foo = setmetatable({}, {__tostring = function() return 'seven' end}) "
                        "show(ngx.var.foo) ngx.var.foo = {} show(ngx.var.foo:match('^table: 0x%x+$') ~= nil) "
                        "show(pcall(function() ngx.var.foo = setmetatable({}, {__tostring = function() "
                        "error('boom', 0) end}) end))", extra="lua_add_variable $foo;\n")
    assert lines == ['n=1 "seven"', "n=1 true", 'n=2 false "boom"']


def test_var_nginx_version_and_hostname_exist(tcplua):
    # ngx_stream_core_variables has $nginx_version and $hostname.
    import socket
    lines = run(tcplua, "show(ngx.var.nginx_version, ngx.var.hostname, ngx.var.nginx_version == "
                        "(function(v) return math.floor(v / 1000000) .. '.' .. math.floor(v / 1000) % 1000 .. '.' .. v % 1000 end)"
                        "(ngx.config.nginx_version))")
    n, version, host, same = lines[0].split(" ")
    assert n == "n=3" and same == "true" and host == f'"{socket.gethostname()}"'


# --- connect (ngx_stream_lua_socket_tcp.c, as http-lua 0.10.23's) ---

def test_connect_options_pool_takes_a_number_and_names_a_bad_type(tcplua, upstream):
    u = upstream(echo)
    lines = run(tcplua, f"local s = ngx.socket.tcp() show(s:connect('127.0.0.1', {u.port}, {{pool = 1}})) "
                        f"show(pcall(s.connect, s, '127.0.0.1', {u.port}, {{pool = true}}))")
    assert lines == ["n=1 1", 'n=2 false "bad argument #4 to \'connect\' (bad \\"pool\\" option type: boolean)"']


def test_connect_options_pool_size_and_backlog_checks(tcplua, upstream):
    # lua_isnumber: a numeric string counts; a value that is not a number: "option type" (pool_size) or
    # ignored (backlog); <= 0 / < 0 with the value, through luaL_argerror.
    u = upstream(echo)
    c = f"s:connect('127.0.0.1', {u.port}, "
    lines = run(tcplua, "local s = ngx.socket.tcp() "
                        f"show(pcall(function() return {c}{{pool_size = 0}}) end)) "
                        f"show(pcall(function() return {c}{{pool_size = -1}}) end)) "
                        f"show({c}{{pool_size = '3'}})) "
                        f"show(pcall(function() return {c}{{pool_size = 'x'}}) end)) "
                        f"show({c}{{backlog = 'x', pool_size = 1}})) "
                        f"show(pcall(function() return {c}{{backlog = -1}}) end))")
    assert lines == ['n=2 false "bad argument #4 to \'connect\' (bad \\"pool_size\\" option value: 0)"',
                     'n=2 false "bad argument #4 to \'connect\' (bad \\"pool_size\\" option value: -1)"',
                     "n=1 1",
                     'n=2 false "bad argument #4 to \'connect\' (bad \\"pool_size\\" option type: string)"',
                     "n=1 1",
                     'n=2 false "bad argument #4 to \'connect\' (bad \\"backlog\\" option value: -1)"']


def test_connect_argument_count_is_checked_first_and_names_the_count(tcplua):
    lines = run(tcplua, "local s = ngx.socket.tcp() show(pcall(s.connect, s)) "
                        "show(pcall(s.connect, s, 'a', 1, {}, 1))")
    assert lines == [
        'n=2 false "ngx.socket connect: expecting 2, 3, or 4 arguments (including the object), but seen 1"',
        'n=2 false "ngx.socket connect: expecting 2, 3, or 4 arguments (including the object), but seen 5"']


def test_connect_without_a_usable_port_returns_nil_and_error(tcplua):
    # Only a number (or numeric string) port; otherwise "missing the port number" unless the host is unix:.
    lines = run(tcplua, "local s = ngx.socket.tcp() show(s:connect('127.0.0.1')) show(s:connect('127.0.0.1', 'abc')) "
                        "show(s:connect('127.0.0.1', nil, {pool = 'p'})) show(s:connect('127.0.0.1', 65536)) "
                        "show(s:connect('127.0.0.1', -1))")
    assert lines == ['n=2 nil "missing the port number"'] * 3 + [
        'n=2 nil "bad port number: 65536"', 'n=2 nil "bad port number: -1"']


def test_connect_truncates_a_fractional_port_and_takes_a_number_host(tcplua, upstream):
    u = upstream(echo)
    lines = run(tcplua, f"local s = ngx.socket.tcp() show(s:connect('127.0.0.1', {u.port} + 0.5)) "
                        f"show(s:connect(127, {u.port}))")
    assert lines == ["n=1 1", 'n=2 nil "no resolver defined to resolve \\"127\\""']


def test_connect_to_a_unix_prefix_without_a_path(tcplua):
    lines = run(tcplua, "local s = ngx.socket.tcp() show(s:connect('unix:'))")
    assert lines == ['n=2 nil "failed to parse host name \\"unix:\\": no path in the unix domain socket"']


def test_connect_ignores_a_fourth_argument_that_is_not_a_table(tcplua, upstream):
    u = upstream(echo)
    lines = run(tcplua, f"local s = ngx.socket.tcp() show(s:connect('127.0.0.1', {u.port}, 5))")
    assert lines == ["n=1 1"]


# --- send: strict tables (calc_strlen_in_table(L, 2, 2, 1)) ---

def test_send_refuses_nil_booleans_and_null_inside_tables(tcplua, upstream):
    u = upstream(echo)
    lines = run(tcplua, connect(u.port) + "local s = fresh() "
                "show(pcall(s.send, s, {'a', {true}})) show(pcall(s.send, s, {nil, 'x'})) "
                "show(pcall(s.send, s, {ngx.null})) show(pcall(s.send, s, {print})) "
                "show(s:send({'a', {'b', 1}, 2.5})) show(s:receive(6))")
    assert lines == ['n=2 false "bad argument #2 to \'send\' (bad data type boolean found)"',
                     'n=2 false "bad argument #2 to \'send\' (bad data type nil found)"',
                     'n=2 false "bad argument #2 to \'send\' (bad data type userdata found)"',
                     'n=2 false "bad argument #2 to \'send\' (bad data type function found)"',
                     "n=1 6", 'n=1 "ab12.5"']


def test_send_refuses_null_and_names_what_it_takes(tcplua, upstream):
    u = upstream(echo)
    lines = run(tcplua, connect(u.port) + "local s = fresh() show(pcall(s.send, s, ngx.null)) "
                "show(pcall(s.send, s, print)) show(s:send(true)) show(s:receive(4))")
    assert lines == [
        'n=2 false "bad argument #2 to \'send\' (string, number, boolean, nil, or array table expected, got userdata)"',
        'n=2 false "bad argument #2 to \'send\' (string, number, boolean, nil, or array table expected, got function)"',
        "n=1 4", 'n=1 "true"']


# --- getreusedtimes, setkeepalive ---

def test_getreusedtimes_refuses_an_extra_argument(tcplua):
    lines = run(tcplua, "local s = ngx.socket.tcp() show(pcall(s.getreusedtimes, s, 1))")
    assert lines == ['n=2 false "expecting 1 argument (including the object), but got 2"']


def test_setkeepalive_of_a_closed_socket_does_not_look_at_its_arguments(tcplua):
    lines = run(tcplua, "local s = ngx.socket.tcp() show(s:setkeepalive('x')) s:connect('127.0.0.1', 1) "
                        "show(s:setkeepalive(true, 'y'))")
    assert lines == ['n=2 nil "closed"', 'n=2 nil "closed"']


def test_setkeepalive_timeout_is_an_integer_like_checkinteger_takes(tcplua, upstream):
    # luaL_checkinteger: a numeric string or a fraction is taken (truncated), a negative one wraps to a huge
    # ngx_msec_t; anything else "number expected, got X".
    u = upstream(echo)
    lines = run(tcplua, connect(u.port) + "local s = fresh() show(s:setkeepalive('1000')) s = fresh() "
                "show(s:getreusedtimes()) show(s:setkeepalive(1.5)) s = fresh() show(s:setkeepalive(-1)) "
                "s = fresh() show(pcall(s.setkeepalive, s, true))")
    assert lines == ["n=1 1", "n=1 1", "n=1 1", "n=1 1",
                     'n=2 false "bad argument #2 to \'setkeepalive\' (number expected, got boolean)"']


# --- setoption / getoption (resty/core/socket.lua) ---

def test_setoption_and_getoption_answer_as_resty_core(tcplua, upstream):
    u = upstream(echo)
    lines = run(tcplua, connect(u.port) + "local s = fresh() show(s:setoption('keepalive', true)) "
                "show(s:getoption('keepalive')) show(s:setoption('tcp-nodelay', 1)) show(s:getoption('tcp-nodelay')) "
                "show(s:setoption('bogus', 1)) show(s:getoption('bogus')) show(s:setoption('keepalive')) "
                "show(s:setoption()) show(s:getoption()) show(type(s:getoption('sndbuf')))")
    assert lines == ["n=1 true", "n=1 1", "n=1 true", "n=1 1",
                     'n=2 nil "unsupported option bogus"', 'n=2 nil "unsupported option bogus"',
                     'n=2 nil "missing the \\"value\\" argument"', 'n=2 nil "missing the \\"option\\" argument"',
                     'n=2 nil "missing the \\"option\\" argument"', 'n=1 "number"']


# --- settimeout(s): lua_tonumber, stream-lua's words ---

def test_settimeouts_argument_count_message(tcplua):
    lines = run(tcplua, "local s = ngx.socket.tcp() show(pcall(s.settimeouts, s, 1, 2))")
    assert lines == ['n=2 false "ngx.socket settimout: expecting 4 arguments (including the object) but seen 3"']


def test_settimeout_values_that_are_not_numbers_mean_the_default(tcplua):
    lines = run(tcplua, "local s = ngx.socket.tcp() show(pcall(s.settimeouts, s, 1, 2, 'x')) "
                        "show(pcall(s.settimeout, s, true))")
    assert lines == ["n=1 true", "n=1 true"]


# --- receiveuntil ---

def test_receiveuntil_of_nil_names_the_type(tcplua):
    lines = run(tcplua, "local s = ngx.socket.tcp() show(pcall(s.receiveuntil, s, nil))")
    assert lines == ['n=2 false "bad argument #2 to \'receiveuntil\' (string expected, got nil)"']
