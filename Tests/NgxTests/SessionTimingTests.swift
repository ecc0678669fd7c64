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

/// The core's waits in-process, with the manual clock: a print that waited, read timeouts that count from the
/// last bytes, and send_timeout in every state of the thread. Nested in the serialized suite: the runtime is a
/// per-process singleton, so no two in-process tests may run at once.
extension SessionTimingTests {
    @Suite struct CoreWaitTests {
        @Test func aPrintThatWaitedResumesWithBytesOkOnceTheClientDrains() throws {
            let code = """
                local chunk = string.rep('x', 65536)
                for i = 1, 1000 do
                  local n, err = ngx.print(chunk)
                  if n ~= 65536 or err ~= 'ok' then _G.bad = tostring(n) .. ' ' .. tostring(err) end
                  _G.result = tostring(n) .. ' ' .. tostring(err) .. ' ' .. i
                  if i == 40 then break end
                end
                _G.done = 'yes'
                """
            let t = try InProcess(code) { $0.sendTimeout = 5_000 }
            #expect(t.global("done") == nil)  // parked in a print: the client has not read
            var total = 0
            for _ in 0..<400 {
                total += t.received()?.count ?? 0
                t.advance(ms: 10)
                if t.global("done") != nil { break }
            }
            #expect(t.global("done") == "yes")
            #expect(t.global("result") == "65536 ok 40")
            #expect(t.global("bad") == nil)
            while let more = t.received(), !more.isEmpty { total += more.count }
            #expect(total == 40 * 65536)
        }

        @Test func readTimeoutCountsFromTheLastBytesThatArrived() throws {
            let t = try InProcess("local d, err = ngx.receive(5) _G.result = tostring(d) .. ' ' .. tostring(err)") {
                $0.readTimeout = 1_000
            }
            for ch in ["a", "b", "c", "d"] {
                t.advance(ms: 900)
                t.send(ch)
            }
            #expect(t.global("result") == nil)  // 3.6 s in all, never 1 s of silence
            t.advance(ms: 999)
            #expect(t.global("result") == nil)
            t.advance(ms: 1)
            #expect(t.global("result") == "nil timeout")
        }

        @Test func readTimeoutIsRearmedOnlyByBytes() throws {
            let t = try InProcess("local d, err = ngx.receive(5) _G.result = tostring(d) .. ' ' .. tostring(err)") {
                $0.readTimeout = 1_000
            }
            t.send("ab")
            t.advance(ms: 999)
            #expect(t.global("result") == nil)
            t.advance(ms: 1)
            #expect(t.global("result") == "nil timeout")
        }

        @Test func sendTimeoutBoundsUnsentOutputWhileParkedInWaitNextRequest() throws {
            let code = """
                ngx.print(string.rep('x', 60000))
                ngx.wait_next_request()
                _G.result = 'resumed'
                """
            let t = try InProcess(code, sendBuffer: 4096) {
                $0.sendTimeout = 2_000
                $0.keepaliveTimeout = nil
            }
            #expect(t.activeSessions == 1)
            t.advance(ms: 1_999)
            #expect(t.activeSessions == 1)
            t.advance(ms: 1)
            #expect(t.activeSessions == 0)  // closed by send_timeout although the thread waited for a request
            #expect(t.global("result") == nil)
        }

        @Test func afterASendTimeoutTheNextReceiveReturnsClosedAtOnce() throws {
            let code = """
                local chunk = string.rep('x', 65536)
                local n, err
                for i = 1, 1000 do
                  n, err = ngx.print(chunk)
                  if not n then break end
                end
                local d, rerr = ngx.receive(1)
                _G.result = err .. ' ' .. tostring(d) .. ' ' .. rerr
                """
            let t = try InProcess(code) {
                $0.sendTimeout = 1_000
                $0.readTimeout = 60_000
            }
            t.send("z")  // bytes are there, but the stream lost output: the receive must not return them
            t.advance(ms: 1_000)
            #expect(t.global("result") == "timeout nil closed")
        }
    }
}
