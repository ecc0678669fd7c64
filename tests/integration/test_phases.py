"""stream-lua's phases around the content handler: preread_by_lua* runs first and may end the session,
log_by_lua* runs once the session is over, cannot yield or talk to the client, and sees ngx.ctx and ngx.var."""

PHASES = r'''
stream {
    server {
        listen 127.0.0.1:$PORT;
        preread_by_lua_block {
            local first = ngx.receive(1)
            if not first then return ngx.exit(ngx.ERROR) end
            ngx.ctx.first = first
            ngx.ctx.phases = ngx.get_phase()
            if first == "q" then return ngx.exit(ngx.ERROR) end
            if first == "e" then error("preread boom") end
            if first == "o" then return ngx.exit(ngx.OK) end
        }
        content_by_lua_block {
            ngx.ctx.phases = ngx.ctx.phases .. " " .. ngx.get_phase()
            ngx.say("first ", ngx.ctx.first, " next ", ngx.receive(1), " ", ngx.ctx.phases)
        }
        log_by_lua_block {
            local _, say_err = pcall(ngx.say, "x")
            local _, sleep_err = pcall(ngx.sleep, 0)
            ngx.log(ngx.NOTICE, "log phase: ", ngx.get_phase(), " first=", tostring(ngx.ctx.first),
                    " phases=", tostring(ngx.ctx.phases), " sent=", ngx.var.bytes_sent, " | ", say_err, " | ", sleep_err)
        }
    }
}
'''


def test_preread_then_content_then_log(tcplua):
    s = tcplua(PHASES)
    c = s.connect()
    c.send("ab")
    assert c.recv_all() == b"first a next b preread content\n"
    s.wait_log(r"log phase: log first=a phases=preread content sent=31 \| API disabled in the context of "
               r"log_by_lua\* \| API disabled in the context of log_by_lua\*")


def test_preread_exit_ok_goes_on_and_other_codes_or_errors_end_the_session(tcplua):
    s = tcplua(PHASES)
    ok = s.connect()
    ok.send("oz")
    assert ok.recv_all() == b"first o next z preread content\n"
    for first in ("q", "e"):
        c = s.connect()
        c.send(first + "z")
        assert c.recv_all() == b""
        s.wait_log(rf"log phase: log first={first} phases=preread sent=0 ")
    s.wait_log(r"lua entry thread aborted: runtime error: preread_by_lua\(tcplua\.conf:\d+\):\d+: preread boom")
