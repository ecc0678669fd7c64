"""lua_add_variable $name: a variable ngx.var reads and assigns, one value per session."""


CONF = '''
stream {
    lua_add_variable $foo;
    lua_add_variable $bar;
    server {
        listen 127.0.0.1:$PORT;
        content_by_lua_block {
            local v = ngx.var
            local first = tostring(v.foo)
            if not ngx.receive(1) then return end
            v.foo = "hello"
            local a = v.foo
            v.foo = 12
            local b = v.foo
            v.bar = "x"
            v.bar = nil
            ngx.say(first, " ", a, " ", b, " ", type(b), " ", tostring(v.bar))
            v.foo = {}  -- resty.core's var_set: tostring(value)
            ngx.say((v.foo:gsub("0x%x+", "ADDR")))
            ngx.say(select(2, pcall(function() v.remote_addr = "x" end)))
            ngx.say(select(2, pcall(function() v.undeclared = "x" end)))
        }
    }
}
'''


def test_declared_variables_are_per_session(tcplua):
    s = tcplua(CONF)
    for _ in range(2):  # a second session starts with nothing assigned
        c = s.connect()
        c.send("x")
        assert c.recv_all().decode().splitlines() == [
            "nil hello 12 string nil",
            "table: ADDR",
            'variable "remote_addr" not changeable',
            'variable "undeclared" not found for writing; maybe it is a built-in variable that is not changeable '
            'or you forgot to use "set $undeclared \'\';" in the config file to define it first',
        ]


def test_name_needs_a_dollar(make_server):
    s = make_server("stream {\n    lua_add_variable foo;\n    server {\n        listen 127.0.0.1:$PORT;\n"
                    "        content_by_lua_block { ngx.say(1) }\n    }\n}\n")
    r = s.run("-t")
    assert r.returncode == 1
    assert 'invalid variable name "foo" in' in r.stderr, r.stderr
