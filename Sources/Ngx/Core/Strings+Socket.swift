import Glibc

/// The cosockets' Lua-visible strings (OpenResty's and the seed's words).
extension NgxStrings {
    // Runtime failures, returned as `nil, err`.
    /// A system error as cosockets report it: strerror lowercased ("connection refused").
    public static func socketError(_ errno: Int32) -> String {
        if errno == 0 { return closed }
        if errno == ENOMEM { return noMemory }
        return String(cString: strerror(errno)).lowercased()
    }
    public static let noMemory = "no memory"
    public static let dubiousState = "connection in dubious state"
    public static let zeroPoolSize = "zero pool size"
    public static let socketBusyReading = "socket busy reading"
    public static let socketBusyWriting = "socket busy writing"
    public static func noResolver(_ host: String) -> String { "no resolver defined to resolve \"\(host)\"" }
    public static func notResolved(_ host: String, _ code: Int, _ text: String) -> String {
        "\(host) could not be resolved (\(code): \(text))"
    }
    public static func failedToParseHost(_ host: String) -> String { "failed to parse host name \"\(host)\"" }
    public static let noPeer = "no peer"
    public static let tooManyWaiting = "too many waiting connect operations"

    // Argument errors, raised as Lua errors.
    public static let badRequest = "bad request"
    public static func socketArgs(_ fn: String) -> String { "bad argument #1 to '\(fn)' (socket object expected)" }
    public static func badPort(_ port: Int) -> String { "bad port number: \(port)" }
    public static func badPatternArg(_ p: String) -> String { "bad pattern argument: \(p)" }
    public static let badPattern = "bad pattern argument"
    public static let patternEmpty = "pattern is empty"
    public static func badTimeout(_ fn: String) -> String { "bad argument to '\(fn)' (timeout expected)" }
    public static let badTimeoutValue = "bad timeout value"
    public static func unsupportedOption(_ name: String) -> String { "unsupported option \(name)" }
    public static func missingOptionArg(_ what: String) -> String { "missing the \"\(what)\" argument" }
    public static let receiveanyMax = "bad argument #2 to 'receiveany' (bad max argument)"
    /// luaL_argerror's form for the option table at `i`; `what` ends the quoted option name.
    public static func badConnectOption(_ i: Int32, _ what: String) -> String {
        "bad argument #\(i) to 'connect' (bad \"\(what))"
    }
    public static func connectArgs(_ n: Int32) -> String {
        "ngx.socket connect: expecting 2, 3, or 4 arguments (including the object), but seen \(n)"
    }
    public static let missingPort = "missing the port number"
    public static func noUnixPath(_ host: String) -> String {
        "failed to parse host name \"\(host)\": no path in the unix domain socket"
    }
    // The UDP cosocket's counts, in stream-lua's words (its settimeout's typo included).
    public static func udpSetPeerArgCount(_ n: Int32) -> String {
        "ngx.socket.udp setpeername: expecting 2 or 3 arguments (including the object), but seen \(n)"
    }
    public static func udpSetTimeoutArgCount(_ n: Int32) -> String {
        "ngx.socket settimout: expecting at least 2 arguments (including the object) but seen \(n)"
    }
    public static func udpCloseArgCount(_ n: Int32) -> String {
        "expecting 1 argument (including the object) but seen \(n)"
    }

    // Error-log lines (after OpenResty's; `stream ` in front in `stream {}` configs).
    public static func logConnectTimedOut(_ peer: String) -> String {
        "lua tcp socket connect timed out, when connecting to \(peer)"
    }
    public static func logQueuedConnectTimedOut(_ peer: String) -> String {
        "lua tcp socket queued connect timed out, when trying to connect to \(peer)"
    }
    public static let logReadTimedOut = "lua tcp socket read timed out"
    public static let logUDPReadTimedOut = "lua udp socket read timed out"
    public static let logWriteTimedOut = "lua tcp socket write timed out"
    public static let logSendClosed = "attempt to send data on a closed socket"
    public static let logReceiveClosed = "attempt to receive data on a closed socket"
    public static func logConnectFailed(_ peer: String, _ e: Int32) -> String {
        "connect() to \(peer) failed (\(e): \(String(cString: strerror(e))))"
    }
    public static func logReadFailed(_ e: Int32) -> String {
        "recv() failed (\(e): \(String(cString: strerror(e))))"
    }
    public static func logSendFailed(_ e: Int32) -> String {
        "send() failed (\(e): \(String(cString: strerror(e))))"
    }
}
