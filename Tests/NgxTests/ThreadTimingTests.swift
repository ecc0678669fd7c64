import Testing

/// Timers, light threads and semaphores in-process with the manual clock: each wakes exactly when its delay
/// passes, in the order of their deadlines. Nested in the serialized suite (the runtime is a per-process
/// singleton).
extension SessionTimingTests {
    @Suite struct ThreadTimingTests {
        @Test func timersFireOnTimeAndEveryRepeats() throws {
            let t = try InProcess(
                """
                ngx.timer.at(2, function(premature, tag) _G.at = tostring(premature) .. tag end, "!")
                ngx.timer.every(1, function() _G.every = (_G.every or 0) + 1 end)
                _G.pending = ngx.timer.pending_count()
                ngx.sleep(100)
                """
            )
            #expect(t.global("pending") == "2")
            t.advance(ms: 999)
            #expect(t.global("every") == nil)
            t.advance(ms: 1)
            #expect(t.global("every") == "1")
            t.advance(ms: 999)
            #expect(t.global("at") == nil)
            t.advance(ms: 1)
            #expect(t.global("at") == "false!")
            #expect(t.global("every") == "2")
            for _ in 0..<3 { t.advance(ms: 1_000) }  // each run re-arms from its own expiry, as nginx does
            #expect(t.global("every") == "5")
        }

        @Test func waitReturnsTheThreadWhoseSleepEndsFirst() throws {
            let t = try InProcess(
                """
                local a = ngx.thread.spawn(function() ngx.sleep(3) return "a" end)
                local b = ngx.thread.spawn(function() ngx.sleep(2) return "b" end)
                local _, first = ngx.thread.wait(a, b)
                _G.first = first
                local _, second = ngx.thread.wait(a)
                _G.second = second
                """
            )
            t.advance(ms: 1_999)
            #expect(t.global("first") == nil)
            t.advance(ms: 1)
            #expect(t.global("first") == "b")
            t.advance(ms: 999)
            #expect(t.global("second") == nil)
            t.advance(ms: 1)
            #expect(t.global("second") == "a")
        }

        @Test func semaphoreWaitEndsWithAPostOrItsTimeout() throws {
            let t = try InProcess(
                """
                local sema = require("ngx.semaphore").new()
                ngx.timer.at(1, function() sema:post(1) end)
                _G.posted = tostring(sema:wait(5))
                local ok, err = sema:wait(2)
                _G.timedout = tostring(ok) .. " " .. err
                """
            )
            t.advance(ms: 999)
            #expect(t.global("posted") == nil)
            t.advance(ms: 1)
            #expect(t.global("posted") == "true")
            t.advance(ms: 1_999)
            #expect(t.global("timedout") == nil)
            t.advance(ms: 1)
            #expect(t.global("timedout") == "false timeout")
        }
    }
}
