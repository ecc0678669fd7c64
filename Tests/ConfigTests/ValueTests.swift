import Testing

@testable import Config

/// Size, time, flag and number parsing, with nginx's rules.
@Suite struct ValueTests {
    @Test(arguments: [
        ("512", 512), ("0", 0), ("8k", 8192), ("8K", 8192), ("10m", 10_485_760), ("10M", 10_485_760),
        ("1g", 1_073_741_824), ("100m", 104_857_600), ("0.5k", 512), ("1.5m", 1_572_864), ("1.0", 1),
    ])
    func validSizes(text: String, bytes: Int) {
        #expect(ConfigValue.size(text) == bytes)
    }

    @Test(arguments: [
        "", "k", "-1", "1x", "1kb", "1.5", "0.3k", ".5k", "1.k", "1..5k", "1 k", "99999999999999999999", "8t",
    ])
    func invalidSizes(text: String) {
        #expect(ConfigValue.size(text) == nil)
    }

    @Test(arguments: [
        ("10s", 10_000), ("500ms", 500), ("1h", 3_600_000), ("2m", 120_000), ("1d", 86_400_000),
        ("1w", 604_800_000), ("5", 5000), ("0", 0), ("1m30s", 90_000), ("1h30m", 5_400_000), ("1s500ms", 1500),
        ("1m30", 90_000), ("60s", 60_000), ("1d1h1m1s1ms", 90_061_001),
    ])
    func validMilliseconds(text: String, ms: Int) {
        #expect(ConfigValue.milliseconds(text) == ms)
    }

    @Test(arguments: ["", "s", "ms", "1y", "1M", "1x", "30s1m", "1m1m", "1ms1s", "-1s", "1.5s", "1 s", "1sms"])
    func invalidMilliseconds(text: String) {
        #expect(ConfigValue.milliseconds(text) == nil)
    }

    @Test(arguments: [
        ("30", 30), ("30s", 30), ("2m", 120), ("1h", 3600), ("1y", 31_536_000), ("1M", 2_592_000), ("1d2h", 93600),
    ])
    func validSeconds(text: String, seconds: Int) {
        #expect(ConfigValue.seconds(text) == seconds)
    }

    @Test(arguments: ["500ms", "", "x", "1s1m"])
    func invalidSeconds(text: String) {
        #expect(ConfigValue.seconds(text) == nil)
    }

    @Test(arguments: [("on", true), ("off", false), ("ON", true), ("Off", false)])
    func validFlags(text: String, value: Bool) {
        #expect(ConfigValue.flag(text) == value)
    }

    @Test(arguments: ["", "yes", "1", "true", "onn"])
    func invalidFlags(text: String) {
        #expect(ConfigValue.flag(text) == nil)
    }

    @Test func numbers() {
        #expect(ConfigValue.number("0") == 0)
        #expect(ConfigValue.number("1024") == 1024)
        #expect(ConfigValue.number("") == nil)
        #expect(ConfigValue.number("+1") == nil)
        #expect(ConfigValue.number("1k") == nil)
        #expect(ConfigValue.number("99999999999999999999") == nil)
    }

    @Test func logLevels() {
        #expect(LogLevel(name: "error") == .error)
        #expect(LogLevel(name: "debug_tcp") == .debug)
        #expect(LogLevel(name: "debug_core") == .debug)
        #expect(LogLevel(name: "debug_") == nil)
        #expect(LogLevel(name: "err") == nil)
        #expect(LogLevel(name: "stderr") == nil)
        #expect(LogLevel.stderr.name == "")
        #expect(LogLevel.allCases.map(\.rawValue) == Array(0...8))
        #expect(
            LogLevel.allCases.dropFirst().map(\.name) == [
                "emerg", "alert", "crit", "error", "warn", "notice", "info", "debug",
            ]
        )
        #expect(LogLevel.emerg < LogLevel.debug)
        #expect(!(LogLevel.warn < LogLevel.error))
    }
}
