"""ngx.ctx (one table per session, kept across light sessions), ngx.var (the access log's variables) and
ngx.get_phase, in a stream {} config as OpenResty writes it."""
import socket
import struct

from conftest import free_port

CONF = r'''
stream {
    init_by_lua_block { phase_at_init = ngx.get_phase() }
    server {
        listen 127.0.0.1:$PORT;
        content_by_lua_block {
            if not ngx.receive(1) then return end
            ngx.ctx.n = (ngx.ctx.n or 0) + 1
            local v = ngx.var
            ngx.say(phase_at_init, " ", ngx.get_phase(), " ", ngx.ctx.n, " ", v.remote_addr, " ", v.server_port,
                    " ", v.connection_requests, " ", v.protocol, " ", tostring(v.no_such_variable),
                    " ", #v.binary_remote_addr, " ", v.binary_remote_addr == "\127\0\0\1")
            ngx.wait_next_request()
            if not ngx.receive(1) then return end
            ngx.ctx.n = ngx.ctx.n + 1
            ngx.say(ngx.ctx.n, " ", v.connection_requests, " ", pcall(function() ngx.var.remote_addr = "x" end))
            ngx.ctx = { n = 100 }
            ngx.say(ngx.ctx.n, " ", pcall(function() ngx.ctx = 5 end))
        }
    }
}
'''


def test_ctx_var_and_phase(tcplua):
    s = tcplua(CONF)
    c = s.connect()
    c.send("a")
    assert c.recv_line() == f"init content 1 127.0.0.1 {s.port} 1 TCP nil 4 true\n"
    c.send("b")
    assert c.recv_line() == '2 2 falsevariable "remote_addr" not changeable\n'
    assert c.recv_line() == "100 falsectx should be a table while getting a number\n"
    c2 = s.connect()
    c2.send("a")
    assert c2.recv_line().split()[2] == "1"  # a new session, a new ngx.ctx
