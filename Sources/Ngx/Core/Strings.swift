/// Every string a Lua script can see or compare, in one place (STYLE.md).
public enum NgxStrings {
    // Runtime failures, returned as `nil, err`.
    public static let timeout = "timeout"
    public static let closed = "closed"
    public static let ok = "ok"
    /// The seed's `ngx.receive` failures: "closed" (EOF, reset, broken pipe), "out of memory", else "error".
    public static func receiveError(_ errno: Int32) -> String {
        switch errno {
        case 0, 104, 32: return closed  // ECONNRESET, EPIPE
        case 12: return "out of memory"  // ENOMEM
        default: return "error"
        }
    }

    // Argument errors, raised as Lua errors.
    public static let receiveArgCount = "expecting 1 or 2 arguments"
    public static let receiveNotNumber = "expecting number parameter!"
    public static let receiveTotal = "bad argument < 0"
    public static func receiveAtLeast(_ total: Int) -> String { "bad pattern argument beyond [1,\(total)]" }
    public static func sleepArgCount(_ n: Int32) -> String { "attempt to pass \(n) arguments, but accepted 1" }
    public static let sleepNegative = "invalid sleep duration"
    public static let nonArrayTable = "non-array table found"
    public static func badOutputArg(_ i: Int32, _ fn: StaticString, _ type: String) -> String {
        "bad argument #\(i) to '\(fn)' (string, number, boolean, nil, ngx.null, or array table expected, got \(type))"
    }
    public static func badLogArg(_ i: Int32, _ type: String) -> String {
        "bad argument #\(i) to 'log' (string, number, boolean, or nil expected, got \(type))"
    }
    public static let badLogLevel = "bad log level"
    public static let ctxNotTable = "ctx should be a table while the value is not a table"
    public static func variableNotChangeable(_ name: String) -> String { "variable \"\(name)\" not changeable" }
    public static func disabled(_ phase: String) -> String { "API disabled in the context of \(phase)" }
    public static let cannotYield = "attempt to yield across C-call boundary"
    public static func badNumberArg(_ i: Int32, _ fn: String) -> String {
        "bad argument #\(i) to '\(fn)' (number expected)"
    }
    public static func badStringArg(_ i: Int32, _ fn: String) -> String {
        "bad argument #\(i) to '\(fn)' (string expected)"
    }
}
