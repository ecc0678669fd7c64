"""What the Lua client libraries need beyond sockets: ngx.re on PCRE2, base64, URI escaping, CRC-32,
ngx.config, table.new/table.clear."""
from conftest import lua_server


def run(tcplua, code):
    s = tcplua(lua_server('if not ngx.receive(1) then return end\n' + code))
    c = s.connect()
    c.send("x")
    return c.recv_all().decode()


def test_re_match_captures_names_ctx_and_errors(tcplua):
    out = run(tcplua, r'''
        local m = ngx.re.match("hello 1234 world", [[(\d+) (?<w>\w+)]], "jo")
        ngx.say(m[0], "|", m[1], "|", m[2], "|", m.w)
        local m2 = ngx.re.match("abc", "(x)?(b)")
        ngx.say(m2[0], " ", tostring(m2[1]), " ", m2[2])
        ngx.say(tostring(ngx.re.match("abc", "z")))
        ngx.say(ngx.re.match("ABC", "b", "i")[0])
        local ctx = {pos = 3}
        local m3 = ngx.re.match("a1b2c3", [[\d]], "", ctx)
        ngx.say(m3[0], " ", ctx.pos)
        local r, err = ngx.re.match("x", "(")
        ngx.say(tostring(r), " ", err ~= nil and err:find("pcre2_compile") ~= nil)
        ngx.say(pcall(ngx.re.match, "x", "x", "Z"))
        ngx.say(ngx.re.find("hello world", "o w"))
        local words = {}
        for m in ngx.re.gmatch("one two three", [[\w+]]) do words[#words + 1] = m[0] end
        ngx.say(table.concat(words, ","))
    ''')
    lines = out.splitlines()
    assert lines[:6] == ["1234 world|1234|world|world", "b false b", "nil", "B", "2 5", "nil true"]
    assert lines[6].startswith("false") and 'unknown flag "Z"' in lines[6]
    assert lines[7:] == ["57", "one,two,three"]


def test_re_sub_gsub_templates_functions_and_the_dns_library_patterns(tcplua):
    out = run(tcplua, r'''
        ngx.say(ngx.re.sub("hello world", "o", "0"))
        ngx.say(ngx.re.gsub("hello world", "o", "0"))
        ngx.say(ngx.re.gsub("a1b22", [[(\d+)]], "<$1>"))
        ngx.say(ngx.re.gsub("ab", "(?<x>a)", "${1}$$"))  -- templates take numbers, not names
        ngx.say(ngx.re.gsub("abc", "b", function(m) return m[0]:upper() end))
        ngx.say(ngx.re.gsub("abc", "", "-"))
        -- lua-nginx-dns: compress_ipv6_addr and _expand_ipv6_addr
        ngx.say(ngx.re.sub("0:0:0:0:0:0:0:1", "^(0:)+|(:0)+$|:(0:)+", "::", "jo"))
        ngx.say(ngx.re.sub("2001::1", "::", ":" .. string.rep("0:", 6), "jo"))
    ''')
    assert out.splitlines() == ["hell0 world1", "hell0 w0rld2", "a<1>b<22>2", "a$b1", "aBc1", "-a-b-c-4",
                                "::11", "2001:0:0:0:0:0:0:11"]


def test_base64_uri_crc32_config_table(tcplua):
    out = run(tcplua, r'''
        ngx.say(ngx.encode_base64("hello"), " ", ngx.encode_base64("hello", true), " ", ngx.encode_base64(""))
        ngx.say(ngx.decode_base64("aGVsbG8="), " ", tostring(ngx.decode_base64("a!")))
        ngx.say(ngx.escape_uri("a b/c?é~"), " ", ngx.unescape_uri("a%20b%2Fc+d%zz"))
        ngx.say(ngx.crc32_short("hello"), " ", ngx.crc32_long("hello"), " ", ngx.crc32_short(""))
        ngx.say(ngx.config.ngx_lua_version >= 9011, " ", ngx.config.subsystem, " ", tostring(ngx.config.debug))
        local t = table.new(4, 4)
        t[1] = 1 t.x = 2
        table.clear(t)
        ngx.say(next(t) == nil, " ", type(require("table.new")))
    ''')
    assert out.splitlines() == ["aGVsbG8= aGVsbG8 ", "hello nil", "a%20b%2Fc%3F%C3%A9~ a b/c d%zz",
                                "907060870 907060870 0", "true stream false", "true function"]
