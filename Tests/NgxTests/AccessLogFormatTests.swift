import Testing

@testable import Ngx

/// The compiled access-log format: every variable rendered from a fixed record, literals kept byte for byte,
/// and the time caches following the clock.
struct AccessLogFormatTests {
    /// 2010-11-18 11:27:35.050 UTC, connection 7's third light session, 1.234 s long.
    static func record() -> AccessLogRecord {
        var r = AccessLogRecord()
        r.remoteAddress = 0x7f00_0001
        r.remotePort = 54321
        r.connection = 7
        r.requests = 3
        r.nowMs = 1_290_079_655_050
        r.startMs = r.nowMs - 1_234
        r.bytesSent = 68
        r.bytesReceived = 1_000_000
        r.serverAddress = "10.1.2.3"
        r.serverPort = 6666
        return r
    }

    /// The line `template` gives for `r` (pid 4242), without its newline.
    static func line(_ template: String, _ r: AccessLogRecord = record()) -> String {
        let w = AccessLogLineWriter(format: AccessLogFormat(template), capacity: 16)
        w.pid = { 4242 }
        w.append(r)
        let bytes = w.buffer.bytes
        #expect(bytes.last == 10)
        return String(decoding: bytes.dropLast(), as: UTF8.self)
    }

    static let seconds = 1_290_079_655
    static let expected: [(String, String)] = [
        ("remote_addr", "127.0.0.1"),
        ("remote_port", "54321"),
        ("time_local", TimeFormat.common(seconds)),
        ("time_iso8601", TimeFormat.iso8601(seconds)),
        ("msec", "1290079655.050"),
        ("request_time", "1.234"),
        ("session_time", "1.234"),
        ("connection", "7"),
        ("connection_requests", "3"),
        ("bytes_sent", "68"),
        ("bytes_received", "1000000"),
        ("protocol", "TCP"),
        ("server_addr", "10.1.2.3"),
        ("server_port", "6666"),
        ("status", "200"),
        ("pid", "4242"),
        ("no_such_variable", "-"),
    ]

    @Test(arguments: expected) func variable(name: String, value: String) {
        #expect(Self.line("$" + name) == value)
        #expect(Self.line("<${" + name + "}>") == "<" + value + ">")
    }

    @Test func everyKnownVariableIsCovered() {
        let named = Set(Self.expected.map(\.0))
        for v in AccessLogVariable.allCases {
            if let name = v.name { #expect(named.contains(name), "\(name) untested") }
        }
    }

    @Test func compilesLiteralsAndVariables() {
        let f = AccessLogFormat("$remote_addr - ${msec}x $bad- $ $1a")
        #expect(String(decoding: f.literals, as: UTF8.self) == " - x - $ ")
        #expect(
            f.ops == [
                .variable(.remoteAddr), .literal(start: 0, count: 3), .variable(.msec), .literal(start: 3, count: 2),
                .variable(.unknown), .literal(start: 5, count: 4), .variable(.unknown),
            ]
        )
    }

    @Test func combinedFormat() {
        #expect(
            Self.line("$remote_addr $time_iso8601 $msec $request_time $connection $connection_requests $protocol")
                == "127.0.0.1 \(TimeFormat.iso8601(Self.seconds)) 1290079655.050 1.234 7 3 TCP"
        )
    }

    @Test func statusIs500WhenOutputFailed() {
        var r = Self.record()
        r.failed = true
        #expect(Self.line("$status", r) == "500")
    }

    @Test func statusIsTheCodeNgxExitRecorded() {
        var r = Self.record()
        r.failed = true
        r.exitStatus = 403
        #expect(Self.line("$status", r) == "403")
    }

    @Test func shortTimesArePaddedAndNegativeDurationsAreZero() {
        var r = Self.record()
        r.nowMs = 5
        r.startMs = 0
        #expect(Self.line("$msec $request_time", r) == "0.005 0.005")
        r.startMs = 10
        #expect(Self.line("$request_time", r) == "0.000")
    }

    @Test func timeCachesFollowTheClockAndLinesAccumulate() {
        let w = AccessLogLineWriter(format: AccessLogFormat("$time_iso8601 $msec"), capacity: 8)
        var r = Self.record()
        w.append(r)
        r.nowMs += 1
        w.append(r)
        r.nowMs += 1_000
        w.append(r)
        let lines = String(decoding: w.buffer.bytes, as: UTF8.self).split(separator: "\n").map(String.init)
        #expect(
            lines == [
                "\(TimeFormat.iso8601(Self.seconds)) 1290079655.050",
                "\(TimeFormat.iso8601(Self.seconds)) 1290079655.051",
                "\(TimeFormat.iso8601(Self.seconds + 1)) 1290079656.051",
            ]
        )
    }

    @Test func msecRewritesItsDecimalsWithinASecondAndAllOfItAcrossOne() {
        let w = AccessLogLineWriter(format: AccessLogFormat("$msec"), capacity: 8)
        var r = Self.record()
        for ms: Int64 in [1_290_079_655_000, 1_290_079_655_109, 1_290_079_655_999, 1_290_079_656_000, 999, 1_000] {
            r.nowMs = ms
            w.append(r)
        }
        #expect(
            String(decoding: w.buffer.bytes, as: UTF8.self)
                == "1290079655.000\n1290079655.109\n1290079655.999\n1290079656.000\n0.999\n1.000\n"
        )
    }

    @Test func remoteAddressFollowsEachRecord() {
        let w = AccessLogLineWriter(format: AccessLogFormat("$remote_addr"), capacity: 8)
        var r = Self.record()
        for address: UInt32 in [0, 0x0a00_00ff, 0x0a00_00ff, 0xffff_ffff, 0] {
            r.remoteAddress = address
            w.append(r)
        }
        #expect(
            String(decoding: w.buffer.bytes, as: UTF8.self)
                == "0.0.0.0\n10.0.0.255\n10.0.0.255\n255.255.255.255\n0.0.0.0\n"
        )
    }

    @Test func decimalsFromIntegers() {
        var b = LineBuffer(capacity: 1)
        defer { b.deallocate() }
        b.appendDecimal(0)
        b.append(32)
        b.appendDecimal(-42)
        b.append(32)
        b.appendDecimal(Int.max)
        b.append(32)
        b.appendDecimal(7, width: 3)
        b.append(32)
        b.appendDecimal(UInt.max, width: 1)
        b.append(32)
        b.appendDecimal(1234, width: 6)
        var expected = "0 -42 \(Int.max) 007 \(UInt.max) 001234"
        for v in [9, 10, 99, 100, 101, 999, 1000, 65535, 1_000_000_007] {
            b.append(32)
            b.appendDecimal(v)
            expected += " \(v)"
        }
        #expect(String(decoding: b.bytes, as: UTF8.self) == expected)
    }

    /// The short copy the line writer uses, at every length across its word-pair boundaries: the bytes copied
    /// exactly, nothing written before or past them.
    @Test func shortCopiesAtEveryLength() {
        let source = (0..<48).map { UInt8(33 + $0) }
        for n in 0...40 {
            var target = [UInt8](repeating: 0, count: 48)
            source.withUnsafeBufferPointer { s in
                target.withUnsafeMutableBufferPointer { t in copyShort(s.baseAddress!, n, to: t.baseAddress! + 2) }
            }
            #expect(Array(target[2..<(2 + n)]) == Array(source[0..<n]), "length \(n)")
            #expect(target[0..<2].allSatisfy { $0 == 0 } && target[(2 + n)...].allSatisfy { $0 == 0 }, "length \(n)")
        }
    }
}
