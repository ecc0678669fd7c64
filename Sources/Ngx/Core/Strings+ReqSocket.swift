/// The client socket's (`ngx.req.socket()`) Lua-visible strings, as stream-lua words them.
extension NgxStrings {
    public static func reqSocketArgCount(_ n: Int32) -> String { "expecting zero arguments, but got \(n)" }
    public static func expectingArgs(_ n: Int32, _ got: Int32) -> String {
        "expecting \(n) arguments (including the object), but got \(got)"
    }
    public static let peekSize = "bad argument #1 to 'peek' (size must be positive)"
    public static let shutdownDirection = "only \"send\" direction is supported"
    public static let alreadyShutdown = "already shutdown"
    // ngx.flush / ngx.eof, as stream-lua words them
    public static let seenEOF = "seen eof"
    public static let clientAborted = "client aborted"
    public static func flushArgCount(_ n: Int32) -> String { "attempt to pass \(n) arguments, but accepted 0 or 1" }
    public static func flushNotBoolean(_ type: String) -> String {
        "bad argument #1 to 'flush' (boolean expected, got \(type))"
    }
    public static let eofNoArgument = "no argument is expected"
}
