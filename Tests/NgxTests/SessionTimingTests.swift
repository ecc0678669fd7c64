import Testing

/// Timeouts and sleeps of the session API, in-process with a manual clock: exact to the millisecond, and no
/// test waits for real time. Serialized: the runtime is a per-process singleton, as in a worker.
@Suite(.serialized) struct SessionTimingTests {
    @Test func receiveTimesOutAfterReadTimeoutWithThePartialData() throws {
        let t = try InProcess("local d, err, p = ngx.receive(10) ngx.print(tostring(d), ' ', err, ' ', p)") {
            $0.readTimeout = 60_000
        }
        t.send("abc")
        t.advance(ms: 59_999)
        #expect(t.received() == "")
        t.advance(ms: 1)
        #expect(t.received() == "nil timeout abc")
        #expect(t.received() == nil)  // the handler returned: connection closed
        #expect(t.activeSessions == 0)
    }

    @Test func atLeastReturnsAsSoonAsEnoughArrived() throws {
        let t = try InProcess("while true do local d = ngx.receive(10, 3) ngx.print('[', d, ']') end")
        t.send("ab")
        #expect(t.received() == "")
        t.send("cdefghijklmn")
        #expect(t.received() == "[abcdefghij][klmn]")
    }

    @Test func sleepWakesExactlyOnTime() throws {
        let t = try InProcess("ngx.print('a') ngx.sleep(5) ngx.print('b') ngx.sleep(0) ngx.print('c')")
        #expect(t.received() == "a")
        t.advance(ms: 4_999)
        #expect(t.received() == "")
        t.advance(ms: 1)
        #expect(t.received() == "bc")
    }

    @Test func keepaliveTimeoutClosesAnIdleConnection() throws {
        let t = try InProcess(
            "local n = 0 while true do local d = ngx.receive(1) n = n + 1 ngx.print(d, n) ngx.wait_next_request() end"
        ) {
            $0.keepaliveTimeout = 1_000
        }
        t.send("a")
        #expect(t.received() == "a1")
        t.advance(ms: 999)
        t.send("b")
        #expect(t.received() == "b2")
        t.advance(ms: 999)
        #expect(t.received() == "")
        t.advance(ms: 1)
        #expect(t.received() == nil)
        #expect(t.activeSessions == 0)
    }

    @Test func printToAClientThatDoesNotReadTimesOutAfterSendTimeout() throws {
        let code = """
            local chunk = string.rep('x', 65536)
            for i = 1, 1000 do
              local n, err = ngx.print(chunk)
              if not n then _G.result = i .. ' ' .. err return end
            end
            _G.result = 'never blocked'
            """
        let t = try InProcess(code) { $0.sendTimeout = 5_000 }
        #expect(t.global("result") == nil)
        t.advance(ms: 4_999)
        #expect(t.global("result") == nil)
        t.advance(ms: 1)
        let result = try #require(t.global("result"))
        #expect(result.hasSuffix(" timeout"))
        let blockedAt = Int(result.split(separator: " ")[0]) ?? 0
        #expect(blockedAt > 1 && blockedAt < 100, "blocked after \(blockedAt) chunks of 64 KiB")
    }
}
