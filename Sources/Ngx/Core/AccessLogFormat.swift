/// A `log_format` template compiled once: literal bytes and variable codes, so writing a line never looks a
/// variable up by name (nginx's `ngx_stream_log_compile_format`).
///
///     "$remote_addr - ${msec}x"  ─▶  [variable(.remoteAddr), literal(0, 3), variable(.msec), literal(3, 1)]
///                                    literals: " - x"
public struct AccessLogFormat: Sendable, Equatable {
    /// One step of a line: copy literal bytes, or write a variable's value.
    public enum Op: Sendable, Equatable {
        /// `count` bytes of `literals` from `start`.
        case literal(start: Int, count: Int)
        /// The value of a variable.
        case variable(AccessLogVariable)
    }

    /// Every literal of the template, concatenated.
    public let literals: [UInt8]
    /// The steps of one line, in order (the newline is not one of them).
    public let ops: [Op]

    /// Compiles `template`: `$name` and `${name}` are variables (letters, digits, `_`); a `$` not followed by a
    /// name is literal text. Unknown names compile to `.unknown`, written as `-`.
    public init(_ template: String) {
        var literals: [UInt8] = []
        var ops: [Op] = []
        let u = Array(template.utf8)
        var textStart = 0
        func closeText() {
            if literals.count > textStart { ops.append(.literal(start: textStart, count: literals.count - textStart)) }
            textStart = literals.count
        }
        var i = 0
        while i < u.count {
            if u[i] == UInt8(ascii: "$") && i + 1 < u.count {
                let braced = u[i + 1] == UInt8(ascii: "{")
                var j = i + (braced ? 2 : 1)
                let nameStart = j
                while j < u.count && Self.isNameByte(u[j]) { j += 1 }
                if j > nameStart {
                    let name = String(decoding: u[nameStart..<j], as: UTF8.self)
                    if braced && j < u.count && u[j] == UInt8(ascii: "}") { j += 1 }
                    closeText()
                    ops.append(.variable(AccessLogVariable(name: name)))
                    i = j
                    continue
                }
            }
            literals.append(u[i])
            i += 1
        }
        closeText()
        self.literals = literals
        self.ops = ops
    }

    /// Letters, digits and `_`: what a variable name is made of.
    static func isNameByte(_ b: UInt8) -> Bool {
        (b >= 97 && b <= 122) || (b >= 65 && b <= 90) || (b >= 48 && b <= 57) || b == 95
    }
}

/// The variables an access-log line can show: the seed's and those of nginx's stream log module.
public enum AccessLogVariable: UInt8, Sendable, CaseIterable {
    /// `$remote_addr`: the client's IPv4 address.
    case remoteAddr
    /// `$remote_port`.
    case remotePort
    /// `$time_local`: `28/Sep/1970:12:00:00 +0600`.
    case timeLocal
    /// `$time_iso8601`: `1970-09-28T12:00:00+06:00`.
    case timeISO8601
    /// `$msec`: seconds with milliseconds, `1290079655.050`.
    case msec
    /// `$request_time`: the light session's duration, seconds with milliseconds.
    case requestTime
    /// `$session_time`: nginx stream's name for the same duration.
    case sessionTime
    /// `$connection`: the connection's serial number.
    case connection
    /// `$connection_requests`: light sessions so far on this connection, this one included.
    case connectionRequests
    /// `$bytes_sent`.
    case bytesSent
    /// `$bytes_received`.
    case bytesReceived
    /// `$protocol`: always `TCP`.
    case protocolName
    /// `$server_addr`: the accepting `listen` address as configured.
    case serverAddr
    /// `$server_port`.
    case serverPort
    /// `$status`: the code of `ngx.exit(code)` (500 for `ngx.ERROR`), else `500` when the session's output
    /// failed, else `200`.
    case status
    /// `$pid`: the worker's pid.
    case pid
    /// A name tcplua does not know: written as `-`.
    case unknown

    /// The variable called `name` (without `$`), or `.unknown`.
    public init(name: String) {
        self = Self.byName[name] ?? .unknown
    }

    /// The name as written in a format, nil for `.unknown`.
    public var name: String? {
        switch self {
        case .remoteAddr: "remote_addr"
        case .remotePort: "remote_port"
        case .timeLocal: "time_local"
        case .timeISO8601: "time_iso8601"
        case .msec: "msec"
        case .requestTime: "request_time"
        case .sessionTime: "session_time"
        case .connection: "connection"
        case .connectionRequests: "connection_requests"
        case .bytesSent: "bytes_sent"
        case .bytesReceived: "bytes_received"
        case .protocolName: "protocol"
        case .serverAddr: "server_addr"
        case .serverPort: "server_port"
        case .status: "status"
        case .pid: "pid"
        case .unknown: nil
        }
    }

    private static let byName: [String: AccessLogVariable] = Dictionary(
        uniqueKeysWithValues: allCases.compactMap { v in v.name.map { ($0, v) } }
    )
}
