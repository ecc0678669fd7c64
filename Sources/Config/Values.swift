/// Parsers for directive values, with nginx's rules (`ngx_parse_size`, `ngx_parse_time`, `ngx_conf_set_flag_slot`).
public enum ConfigValue {
    /// A size in bytes: `512`, `8k`/`8K`, `10m`, `1g`. A fraction is allowed when the result is a whole number of
    /// bytes (`0.5k` → 512), because the seed writes `connection_pool_size 0.5k`. Nil when invalid or too large.
    public static func size(_ text: String) -> Int? {
        guard let last = text.last else { return nil }
        let unit: Int
        var digits = Substring(text)
        switch last {
        case "k", "K": unit = 1024
        case "m", "M": unit = 1024 * 1024
        case "g", "G": unit = 1024 * 1024 * 1024
        default: unit = 1
        }
        if unit != 1 { digits = digits.dropLast() }
        guard let whole = digits.split(separator: ".", omittingEmptySubsequences: false).first,
            !whole.isEmpty, digits.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }),
            digits.filter({ $0 == "." }).count <= 1, !digits.hasSuffix(".")
        else { return nil }
        if !digits.contains(".") {
            guard let value = Int(digits) else { return nil }
            let (bytes, overflow) = value.multipliedReportingOverflow(by: unit)
            return overflow ? nil : bytes
        }
        guard let value = Double(digits) else { return nil }
        let bytes = value * Double(unit)
        guard bytes < 9.0e18, bytes == bytes.rounded() else { return nil }
        return Int(bytes)
    }

    /// A time in milliseconds, as nginx's `ngx_conf_set_msec_slot` reads it: units `w d h m s ms`, combined from the
    /// largest down (`1m30s`, `1h30m`, `1s500ms`); a bare number (or a number after the last unit) is seconds.
    /// `y` and `M` are rejected here as nginx does for millisecond values. Nil when invalid.
    public static func milliseconds(_ text: String) -> Int? {
        parseTime(text, inSeconds: false)
    }

    /// A time in seconds, as `ngx_parse_time(…, 1)` reads it (listen's `so_keepalive`, resolver's `valid=`):
    /// units `y M w d h m s`, no `ms`; a bare number is seconds. Nil when invalid.
    public static func seconds(_ text: String) -> Int? {
        parseTime(text, inSeconds: true)
    }

    /// `on` → true, `off` → false (case-insensitive, as nginx); anything else nil.
    public static func flag(_ text: String) -> Bool? {
        switch text.lowercased() {
        case "on": true
        case "off": false
        default: nil
        }
    }

    /// A non-negative decimal integer (`ngx_atoi`): digits only. Nil when invalid or too large.
    public static func number(_ text: String) -> Int? {
        guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        return Int(text)
    }

    /// The steps of `ngx_parse_time`: each unit must come after the larger ones.
    private enum Step: Int, Comparable {
        case start, year, month, week, day, hour, minute, second, millisecond

        static func < (a: Step, b: Step) -> Bool { a.rawValue < b.rawValue }
    }

    /// `ngx_parse_time`: the total in seconds (`inSeconds`) or milliseconds.
    private static func parseTime(_ text: String, inSeconds: Bool) -> Int? {
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty else { return nil }
        let perSecond = inSeconds ? 1 : 1000
        var step: Step = inSeconds ? .start : .month
        var total = 0
        var value = 0
        var hasDigits = false
        var i = 0
        while i < bytes.count {
            let c = bytes[i]
            i += 1
            if c >= 0x30 && c <= 0x39 {
                let (tens, o1) = value.multipliedReportingOverflow(by: 10)
                let (sum, o2) = tens.addingReportingOverflow(Int(c - 0x30))
                guard !o1, !o2 else { return nil }
                value = sum
                hasDigits = true
                continue
            }
            guard hasDigits else { return nil }
            let next: Step
            let scale: Int
            switch c {
            case UInt8(ascii: "y") where step == .start: (next, scale) = (.year, 365 * 86400 * perSecond)
            case UInt8(ascii: "M") where step < .month: (next, scale) = (.month, 30 * 86400 * perSecond)
            case UInt8(ascii: "w") where step < .week: (next, scale) = (.week, 7 * 86400 * perSecond)
            case UInt8(ascii: "d") where step < .day: (next, scale) = (.day, 86400 * perSecond)
            case UInt8(ascii: "h") where step < .hour: (next, scale) = (.hour, 3600 * perSecond)
            case UInt8(ascii: "m") where i < bytes.count && bytes[i] == UInt8(ascii: "s"):
                guard !inSeconds, step < .millisecond else { return nil }
                i += 1
                (next, scale) = (.millisecond, 1)
            case UInt8(ascii: "m") where step < .minute: (next, scale) = (.minute, 60 * perSecond)
            case UInt8(ascii: "s") where step < .second: (next, scale) = (.second, perSecond)
            default: return nil
            }
            guard let added = add(value, times: scale, to: total) else { return nil }
            total = added
            step = next
            value = 0
            hasDigits = false
        }
        return add(value, times: perSecond, to: total)
    }

    /// `total + value * scale`, or nil on overflow.
    private static func add(_ value: Int, times scale: Int, to total: Int) -> Int? {
        let (product, o1) = value.multipliedReportingOverflow(by: scale)
        let (sum, o2) = total.addingReportingOverflow(product)
        return o1 || o2 ? nil : sum
    }
}
