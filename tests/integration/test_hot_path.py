"""The hot path runs in LuaJIT traces: the bench's framed-echo handler with its W5 shared-dict calls
(incr, get, set), 20,000 requests, with LuaJIT's trace
events attached. The handler's loop must run compiled from one park to the next, and no trace may abort inside tcplua's own
Lua layer (the `=ngx` chunk: an NYI or a classic C call would stop the trace there)."""
import socket
import struct

from conftest import Client, free_port

CONF = r'''
tcp {
    access_log off;
    lua_shared_dict bench 1m;
    init_by_lua_block {
        netutil = require "netutil"
        local jutil = require "jit.util"
        events = {}
        -- where the thread parks: wait_next_request yields from a C function (the one place a classic call,
        -- and a yield, is expected)
        local w = debug.getinfo(ngx.wait_next_request, "S")
        events[1] = "park " .. w.linedefined .. " " .. w.lastlinedefined
        jit.attach(function(what, tr, func, pc, otr, oex)
            local info = func and jutil.funcinfo(func, pc) or {}
            local line = what .. " " .. tostring(tr) .. " " .. tostring(info.source) .. ":" .. tostring(info.currentline)
                .. " " .. tostring(info.linedefined)
            if what == "abort" then line = line .. " " .. tostring(otr) .. " " .. tostring(oex) end
            if what == "stop" then line = line .. " " .. tostring(jutil.traceinfo(tr).linktype) end
            events[#events + 1] = line
        end, "trace")
    }
    server {
        listen 127.0.0.1:$PORT;
        process_by_lua_block {
            local receive, print, wait, unpack = ngx.receive, ngx.print, ngx.wait_next_request, netutil.unpackint32
            while true do
                local head = receive(4)
                if not head then return end
                local body = receive(unpack(head))
                if not body then return end
                local d = ngx.shared.bench
                d:incr("n", 1, 0)
                d:get("n")
                d:set("last", body)
                print(head, body)
                wait()
            end
        }
    }
    server {
        listen 127.0.0.1:$REPORT;
        process_by_lua_block { ngx.print(table.concat(events, "\n"), "\nn=", ngx.shared.bench:get("n")) }
    }
}
'''


def test_the_handler_loop_is_compiled_and_no_trace_aborts_in_the_ngx_layer(tcplua):
    report = free_port()
    s = tcplua(CONF.replace("$REPORT", str(report)))
    frame = struct.pack(">I", 64) + b"x" * 64
    socks = [socket.create_connection(("127.0.0.1", s.port)) for _ in range(10)]
    for i in range(20000):
        c = socks[i % 10]
        c.sendall(frame)
        got = b""
        while len(got) < len(frame):
            got += c.recv(4096)
        assert got == frame
    for c in socks:
        c.close()
    events = Client(report).recv_all().decode().splitlines()
    assert events[0].startswith("park ")
    first, last = (int(x) for x in events[0].split()[1:3])

    def after_the_yield(e):  # a trace that starts inside wait_next_request, past its entry: after the yield
        where, defined = e.split()[2], e.split()[3]
        return where.startswith("=ngx:") and first < int(where.split(":")[1]) <= last and int(defined) == first

    # The handler's loop runs compiled from one park to the next: the trace that continues after the yield
    # links to a root trace (the loop's own, or one LuaJIT rooted at wait_next_request when it got hot before
    # the loop did: the loop then lies inside the continuation), never back to the interpreter.
    continuations = {e.split()[1] for e in events if e.startswith("start ") and after_the_yield(e)}
    linked = {e.split()[1] for e in events if e.startswith("stop ") and e.split()[-1] in ("root", "loop")}
    assert continuations & linked, f"the handler's loop does not run compiled from park to park: {events}"
    # (an abort inside a called function may come without its location: those count too)
    aborts = [e for e in events if e.startswith("abort ") and ("=ngx" in e or "process_by_lua" not in e)]
    assert not aborts, aborts
    # A trace starting inside the layer, other than at a function's entry, continues one that a call into
    # classic C stopped (LuaJIT stitches around it): allowed only where wait_next_request parks the thread.
    stitched = []
    for e in events:
        parts = e.split()
        if parts[0] == "start" and parts[2].startswith("=ngx:"):
            line, defined = int(parts[2].split(":")[1]), int(parts[3])
            if line != defined and not first <= line <= last:
                stitched.append(e)
    assert not stitched, f"traces stopped by a C call in the ngx layer: {stitched}"
    assert f"n={20000}" in events  # the dictionary saw every request
