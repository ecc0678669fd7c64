"""`require "ngx.semaphore"` (lua-resty-core's module name): new/post/wait/count across the threads, sessions
and timers of one worker, with lua-resty-core's return values and errors."""

from conftest import gated_stream as stream


def test_wait_post_count_and_timeouts(tcplua):
    s = tcplua(stream(r'''
        local semaphore = require "ngx.semaphore"
        local sema = semaphore.new()
        ngx.say("count ", sema:count(), " wait(0): ", tostring(select(1, sema:wait(0))), " ",
                select(2, sema:wait(0)))
        local order = {}
        local function worker(name)
            local ok, err = sema:wait(1)
            order[#order + 1] = name .. "=" .. tostring(ok)
        end
        local a = ngx.thread.spawn(worker, "a")
        local b = ngx.thread.spawn(worker, "b")
        ngx.say("count while two wait: ", sema:count())
        ngx.say("post: ", sema:post(2))
        ngx.thread.wait(a)
        ngx.thread.wait(b)
        ngx.say("woken in order: ", table.concat(order, " "), " count ", sema:count())
        local ok, err = sema:wait(0.05)
        ngx.say("after waiting: ", tostring(ok), " ", err)
        local s3 = semaphore.new(3)
        ngx.say("new(3): ", s3:count(), " ", tostring(s3:wait(0)), " ", s3:count())
        ngx.say(select(2, pcall(semaphore.new, -1)))
        ngx.say(select(2, pcall(sema.wait, {}, 1)))
        ngx.say(select(2, pcall(sema.post, sema, 0)))
    '''))
    c = s.connect()
    c.send("x")
    out = c.recv_all().decode()
    assert out == (
        "count 0 wait(0): nil timeout\n"
        "count while two wait: -2\n"
        "post: true\n"
        "woken in order: a=true b=true count 0\n"
        "after waiting: false timeout\n"
        "new(3): 3 true 2\n"
        "no negative number\n"
        "not a semaphore instance\n"
        "positive number required\n"
    ), out


def test_one_session_waits_for_another_and_a_timer(tcplua):
    s = tcplua(
        "stream {\n    init_worker_by_lua_block {\n"
        "        sema = require(\"ngx.semaphore\").new()\n    }\n"
        "    server {\n        listen 127.0.0.1:$PORT;\n        content_by_lua_block {\n" + r'''
            local cmd = ngx.receive(1)
            if cmd == "w" then
                local ok, err = sema:wait(5)
                ngx.say("waiter: ", tostring(ok), " ", tostring(err))
            elseif cmd == "p" then
                sema:post(1)
                ngx.say("posted")
            elseif cmd == "t" then
                ngx.timer.at(0.05, function() sema:post(1) end)
                local ok = sema:wait(5)
                ngx.say("timer posted: ", tostring(ok))
            end
        ''' + "\n        }\n    }\n}\n"
    )
    waiter = s.connect()
    waiter.send("w")
    import time
    time.sleep(0.1)
    poster = s.connect()
    poster.send("p")
    assert poster.recv_line() == "posted\n"
    assert waiter.recv_line() == "waiter: true nil\n"
    t = s.connect()
    t.send("t")
    assert t.recv_line() == "timer posted: true\n"


def test_a_killed_waiter_leaves_the_queue(tcplua):
    s = tcplua(stream(r'''
        local sema = require("ngx.semaphore").new()
        local t = ngx.thread.spawn(function() sema:wait(5) ngx.say("never") end)
        ngx.say("count ", sema:count())
        ngx.thread.kill(t)
        ngx.say("after kill ", sema:count())
        sema:post(1)
        ngx.say("resource kept: ", tostring(sema:wait(0)))
    '''))
    c = s.connect()
    c.send("x")
    assert c.recv_all().decode() == "count -1\nafter kill 0\nresource kept: true\n"
