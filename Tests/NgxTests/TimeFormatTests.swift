import Testing

@testable import Ngx

/// Pure time formatting and parsing (ngx.tcp_time / parse_tcp_time / the log formats).
@Suite struct TimeFormatTests {
    @Test func httpTimeOfTheSeedExample() {
        #expect(TimeFormat.httpTime(1_290_079_655) == "Thu, 18 Nov 2010 11:27:35 GMT")
        #expect(TimeFormat.httpTime(0) == "Thu, 01 Jan 1970 00:00:00 GMT")
    }

    @Test(arguments: [
        ("Thu, 18 Nov 2010 11:27:35 GMT", 1_290_079_655),
        ("Thursday, 18-Nov-10 11:27:35 GMT", 1_290_079_655),
        ("Thu Nov 18 11:27:35 2010", 1_290_079_655),
        ("Tue, 29 Feb 2000 00:00:00 GMT", 951_782_400),
        ("Thu, 01 Jan 1970 00:00:00 GMT", 0),
    ])
    func parsesHTTPDates(text: String, seconds: Int) {
        #expect(TimeFormat.parseHTTPTime(text) == seconds)
    }

    @Test(arguments: [
        "", "hello", "Thu, 18 Nov 2010 11:27:35", "Thu, 31 Feb 2010 11:27:35 GMT", "Thu, 18 Foo 2010 11:27:35 GMT",
        "Thu, 18 Nov 2010 25:27:35 GMT",
    ])
    func rejectsBadDates(text: String) {
        #expect(TimeFormat.parseHTTPTime(text) == nil)
    }

    @Test func roundTripsEveryDayOfAYear() {
        var t = 1_700_000_000
        for _ in 0..<400 {
            #expect(TimeFormat.parseHTTPTime(TimeFormat.httpTime(t)) == t)
            t += 86_400 + 3_607
        }
    }

    @Test func utcDateTime() {
        #expect(TimeFormat.dateTime(1_290_079_655, utc: true) == "2010-11-18 11:27:35")
    }
}
