import Glibc

/// Pure formatting and parsing of the time strings the ngx API and the logs use.
public enum TimeFormat {
    private static let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// Broken-down time of `seconds` since the epoch, UTC or local.
    public static func components(_ seconds: Int, utc: Bool) -> tm {
        var t = time_t(seconds)
        var out = tm()
        if utc { gmtime_r(&t, &out) } else { localtime_r(&t, &out) }
        return out
    }

    private static func pad(_ v: Int32, _ width: Int = 2) -> String {
        let s = String(v)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }

    /// "yyyy-mm-dd hh:mm:ss" (`ngx.utctime`, `ngx.localtime`).
    public static func dateTime(_ seconds: Int, utc: Bool) -> String {
        let c = components(seconds, utc: utc)
        return
            "\(c.tm_year + 1900)-\(pad(c.tm_mon + 1))-\(pad(c.tm_mday)) \(pad(c.tm_hour)):\(pad(c.tm_min)):\(pad(c.tm_sec))"
    }

    /// "yyyy-mm-dd" local (`ngx.today`).
    public static func today(_ seconds: Int) -> String {
        let c = components(seconds, utc: false)
        return "\(c.tm_year + 1900)-\(pad(c.tm_mon + 1))-\(pad(c.tm_mday))"
    }

    /// "yyyy/mm/dd hh:mm:ss" local, the error log's time.
    public static func errorLog(_ seconds: Int) -> String {
        let c = components(seconds, utc: false)
        return
            "\(c.tm_year + 1900)/\(pad(c.tm_mon + 1))/\(pad(c.tm_mday)) \(pad(c.tm_hour)):\(pad(c.tm_min)):\(pad(c.tm_sec))"
    }

    /// Local time zone offset "+0000"-style.
    private static func offset(_ c: tm) -> (String, String) {
        let off = c.tm_gmtoff / 60
        let sign = off < 0 ? "-" : "+"
        let a = abs(off)
        return (sign + pad(Int32(a / 60)) + pad(Int32(a % 60)), sign + pad(Int32(a / 60)) + ":" + pad(Int32(a % 60)))
    }

    /// "28/Sep/1970:12:00:00 +0600" ($time_local).
    public static func common(_ seconds: Int) -> String {
        let c = components(seconds, utc: false)
        return
            "\(pad(c.tm_mday))/\(months[Int(c.tm_mon)])/\(c.tm_year + 1900):\(pad(c.tm_hour)):\(pad(c.tm_min)):\(pad(c.tm_sec)) \(offset(c).0)"
    }

    /// "1970-09-28T12:00:00+06:00" ($time_iso8601).
    public static func iso8601(_ seconds: Int) -> String {
        let c = components(seconds, utc: false)
        return
            "\(c.tm_year + 1900)-\(pad(c.tm_mon + 1))-\(pad(c.tm_mday))T\(pad(c.tm_hour)):\(pad(c.tm_min)):\(pad(c.tm_sec))\(offset(c).1)"
    }

    /// "Thu, 18 Nov 2010 11:27:35 GMT" (`ngx.tcp_time`, `ngx.http_time`).
    public static func httpTime(_ seconds: Int) -> String {
        let c = components(seconds, utc: true)
        return "\(days[Int(c.tm_wday)]), \(pad(c.tm_mday)) \(months[Int(c.tm_mon)]) \(c.tm_year + 1900) "
            + "\(pad(c.tm_hour)):\(pad(c.tm_min)):\(pad(c.tm_sec)) GMT"
    }

    /// Parses an HTTP date (RFC 1123 "Thu, 18 Nov 2010 11:27:35 GMT", RFC 850 "Thursday, 18-Nov-10 11:27:35 GMT",
    /// or asctime "Thu Nov 18 11:27:35 2010"); nil for anything else, as nginx's `ngx_parse_http_time`.
    public static func parseHTTPTime(_ s: String) -> Int? {
        let u = Array(s.utf8)
        var i = 0
        func skipSpaces() { while i < u.count && u[i] == 32 { i += 1 } }
        func number(_ digits: Int) -> Int? {
            guard i + digits <= u.count else { return nil }
            var v = 0
            for k in 0..<digits {
                let ch = u[i + k]
                guard ch >= 48 && ch <= 57 else { return nil }
                v = v * 10 + Int(ch - 48)
            }
            i += digits
            return v
        }
        func month() -> Int? {
            guard i + 3 <= u.count else { return nil }
            let name = String(decoding: u[i..<i + 3], as: UTF8.self)
            guard let m = months.firstIndex(of: name) else { return nil }
            i += 3
            return m
        }
        func expect(_ ch: UInt8) -> Bool {
            guard i < u.count && u[i] == ch else { return false }
            i += 1
            return true
        }
        // weekday name
        while i < u.count && ((u[i] >= 65 && u[i] <= 90) || (u[i] >= 97 && u[i] <= 122)) { i += 1 }
        guard i > 0 else { return nil }
        var day = 0
        var mon = 0
        var year = 0
        var hh = 0
        var mm = 0
        var ss = 0
        if i < u.count && u[i] == 44 {  // ','
            i += 1
            skipSpaces()
            guard let d = number(2) else { return nil }
            day = d
            if i < u.count && u[i] == 32 {  // RFC 1123
                skipSpaces()
                guard let m = month() else { return nil }
                mon = m
                skipSpaces()
                guard let y = number(4) else { return nil }
                year = y
            } else if expect(45) {  // RFC 850
                guard let m = month(), expect(45), let y = number(2) else { return nil }
                mon = m
                year = y + (y < 70 ? 2000 : 1900)
            } else {
                return nil
            }
            skipSpaces()
            guard let h = number(2), expect(58), let mi = number(2), expect(58), let se = number(2) else { return nil }
            (hh, mm, ss) = (h, mi, se)
            skipSpaces()
            guard i + 3 <= u.count, String(decoding: u[i..<i + 3], as: UTF8.self) == "GMT" else { return nil }
        } else {  // asctime
            skipSpaces()
            guard let m = month() else { return nil }
            mon = m
            skipSpaces()
            if i < u.count && u[i] == 32 { i += 1 }
            if let d = number(2) { day = d } else if let d = number(1) { day = d } else { return nil }
            skipSpaces()
            guard let h = number(2), expect(58), let mi = number(2), expect(58), let se = number(2) else { return nil }
            (hh, mm, ss) = (h, mi, se)
            skipSpaces()
            guard let y = number(4) else { return nil }
            year = y
        }
        guard hh <= 23, mm <= 59, ss <= 59, day >= 1, day <= 31, year >= 1970 else { return nil }
        let mdays = [
            31, (year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30,
            31,
        ]
        guard day <= mdays[mon] else { return nil }
        return daysFromCivil(year, mon + 1, day) * 86400 + hh * 3600 + mm * 60 + ss
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date.
    static func daysFromCivil(_ y0: Int, _ m: Int, _ d: Int) -> Int {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }
}
