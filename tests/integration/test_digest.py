"""ngx.md5, md5_bin, sha1_bin, hmac_sha1 against values computed here with hashlib and hmac."""
import hashlib
import hmac

from conftest import lua_server

CODE = r'''
local data = ngx.receive(10)
if not data then return end
local function hex(s) return (s:gsub(".", function(c) return string.format("%02x", c:byte()) end)) end
ngx.say(ngx.md5(data))
ngx.say(hex(ngx.md5_bin(data)))
ngx.say(hex(ngx.sha1_bin(data)))
ngx.say(hex(ngx.hmac_sha1("secret", data)))
ngx.say(ngx.md5(nil), " ", ngx.md5(12))
ngx.say(pcall(ngx.md5, setmetatable({}, {__tostring = function() return "T" end})))
'''


def test_digests_match_hashlib(tcplua):
    s = tcplua(lua_server(CODE))
    c = s.connect()
    data = b"hello\x00wor\xff"
    c.send(data)
    lines = c.recv_all().decode().splitlines()
    assert lines[0] == hashlib.md5(data).hexdigest()
    assert lines[1] == hashlib.md5(data).hexdigest()
    assert lines[2] == hashlib.sha1(data).hexdigest()
    assert lines[3] == hmac.new(b"secret", data, hashlib.sha1).hexdigest()
    assert lines[4] == hashlib.md5(b"").hexdigest() + " " + hashlib.md5(b"12").hexdigest()
    # lua-resty-core: a non-string argument other than nil/false is hashed as tostring gives it.
    assert lines[5] == "true" + hashlib.md5(b"T").hexdigest()
