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
        "bad argument #\(i) to '\(fn)' (string, number, boolean, nil, ngx.null, or array table expected, but got \(type))"
    }
    /// A cosocket's send takes no ngx.null, and says so.
    public static func badSendArg(_ i: Int32, _ fn: StaticString, _ type: String) -> String {
        "bad argument #\(i) to '\(fn)' (string, number, boolean, nil, or array table expected, got \(type))"
    }
    public static func badTableElement(_ i: Int32, _ fn: StaticString, _ type: String) -> String {
        "bad argument #\(i) to '\(fn)' (bad data type \(type) found)"
    }
    public static func badLogArg(_ i: Int32, _ type: String) -> String {
        "bad argument #\(i) to 'log' (string, number, boolean, or nil expected, got \(type))"
    }
    public static func logTableArg(_ i: Int32) -> String {
        "bad argument #\(i) to 'log' (expected table to have __tostring metamethod)"
    }
    // ngx.re, as lua-resty-core words them.
    public static func regexUnknownFlag(_ c: Character, _ opts: String) -> String {
        "unknown flag \"\(c)\" (flags \"\(opts)\")"
    }
    public static func regexExecFailed(_ rc: Int) -> String { "pcre_exec() failed: \(rc)" }
    /// PCRE2_ERROR_BADOFFSET: a start offset past the subject's end.
    public static let regexBadOffset = -33
    public static let regexNthOutOfBound = "nth out of bound"
    public static func regexCacheFull(_ n: Int) -> String { "lua exceeding regex cache max entries (\(n))" }
    /// A thread's error value that is not a string, as stream-lua logs it.
    public static let unknownReason = "unknown reason"
    /// luaL_argerror's form, as stream-lua raises it.
    public static func badLogLevel(_ n: Int) -> String { "bad argument #1 to 'log' (bad log level: \(n))" }
    /// resty.core's ctx setter names the type it got.
    public static func ctxNotTable(_ type: String) -> String { "ctx should be a table while getting a \(type)" }
    public static func variableNotChangeable(_ name: String) -> String { "variable \"\(name)\" not changeable" }
    public static func variableNotFound(_ name: String) -> String {
        "variable \"\(name)\" not found for writing; maybe it is a built-in variable that is not changeable "
            + "or you forgot to use \"set $\(name) '';\" in the config file to define it first"
    }
    public static let badVariableName = "bad variable name"
    /// The nginx release whose behaviour tcplua follows: `$nginx_version`, `ngx.config.nginx_version`
    /// (`nginxVersionNumber`) and `tcplua -v`, because tools written for nginx read that number.
    public static let nginxVersion = "1.22.1"
    /// The same as nginx's `nginx_version` number: 1.22.1 is 1022001.
    public static let nginxVersionNumber = nginxVersion.split(separator: ".").reduce(0) { $0 * 1000 + Int($1)! }
    public static func disabled(_ phase: String) -> String { "API disabled in the context of \(phase)" }
    public static let cannotYield = "attempt to yield across C-call boundary"
    public static func badNumberArg(_ i: Int32, _ fn: String) -> String {
        "bad argument #\(i) to '\(fn)' (number expected)"
    }
    public static func badNumberArg(_ i: Int32, _ fn: String, got: String) -> String {
        "bad argument #\(i) to '\(fn)' (number expected, got \(got))"
    }
    public static func badStringArg(_ i: Int32, _ fn: String) -> String {
        "bad argument #\(i) to '\(fn)' (string expected)"
    }
    public static func badStringArg(_ i: Int32, _ fn: String, got: String) -> String {
        "bad argument #\(i) to '\(fn)' (string expected, got \(got))"
    }
}
