import CShim
import Glibc

/// An IPv4 or IPv6 address in network byte order (the 16 bytes of an IPv6 one; the first 4 of an IPv4 one).
public struct IPAddress: Equatable, Sendable {
    public var family: Int32  // 4 or 6
    public var bytes: (UInt64, UInt64)

    public init(family: Int32, bytes: (UInt64, UInt64)) {
        self.family = family
        self.bytes = bytes
    }

    public static func == (a: IPAddress, b: IPAddress) -> Bool {
        a.family == b.family && a.bytes.0 == b.bytes.0 && a.bytes.1 == b.bytes.1
    }

    /// Parses an IPv4 or IPv6 literal (no brackets); nil for anything else.
    public init?(_ text: String) {
        var raw: (UInt64, UInt64) = (0, 0)
        let f = withUnsafeMutableBytes(of: &raw) { p in
            tl_parse_ip(text, p.baseAddress!.assumingMemoryBound(to: UInt8.self))
        }
        guard f != 0 else { return nil }
        family = f
        bytes = raw
    }

    /// From raw bytes (4 or 16).
    public init?(raw: UnsafeRawBufferPointer) {
        guard raw.count == 4 || raw.count == 16 else { return nil }
        var b: (UInt64, UInt64) = (0, 0)
        withUnsafeMutableBytes(of: &b) { $0.copyMemory(from: raw) }
        family = raw.count == 4 ? 4 : 6
        bytes = b
    }

    /// "127.0.0.1", "::1".
    public var text: String {
        var b = bytes
        var buf = [CChar](repeating: 0, count: 64)
        let n = withUnsafeBytes(of: &b) { p in
            tl_format_ip(p.baseAddress!.assumingMemoryBound(to: UInt8.self), family, &buf, 64)
        }
        return n < 0 ? "?" : String(decoding: buf[0..<Int(n)].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// The outcome of starting a non-blocking connect.
public enum ConnectStart {
    case connected(Int32)
    case pending(Int32)
    case failed(Int32)
}

extension Sys {
    /// Starts a non-blocking TCP connect (or, with `udp`, a connected datagram socket).
    public static func connect(_ a: IPAddress, port: UInt16, udp: Bool = false) -> ConnectStart {
        var b = a.bytes
        var pending: Int32 = 0
        let fd = withUnsafeBytes(of: &b) { p in
            tl_connect_ip(udp ? 1 : 0, p.baseAddress!.assumingMemoryBound(to: UInt8.self), a.family, port, &pending)
        }
        if fd < 0 { return .failed(errno) }
        return pending != 0 ? .pending(fd) : .connected(fd)
    }

    /// Starts a non-blocking connect to a unix-domain socket.
    public static func connectUnix(_ path: String, udp: Bool = false) -> ConnectStart {
        var pending: Int32 = 0
        let fd = tl_connect_unix(udp ? 1 : 0, path, &pending)
        if fd < 0 { return .failed(errno) }
        return pending != 0 ? .pending(fd) : .connected(fd)
    }

    /// The pending error of a socket (SO_ERROR): 0 once a connect succeeded.
    public static func socketError(_ fd: Int32) -> Int32 { tl_socket_error(fd) }

    /// Socket options by their cosocket names.
    public enum SocketOption: Int32 {
        case keepalive = 1, reuseaddr, tcpNodelay, sndbuf, rcvbuf, sndlowat
    }

    public static func setOption(_ fd: Int32, _ o: SocketOption, _ value: Int32) -> Int32? {
        tl_setsockopt_int(fd, o.rawValue, value) == 0 ? nil : errno
    }

    public static func getOption(_ fd: Int32, _ o: SocketOption) -> Result<Int32, SysError> {
        var v: Int32 = 0
        return tl_getsockopt_int(fd, o.rawValue, &v) == 0 ? .success(v) : .failure(SysError("getsockopt"))
    }

    /// Receives one datagram (or stream bytes) without blocking.
    public static func recv(_ fd: Int32, _ p: UnsafeMutableRawPointer, _ n: Int) -> IOResult {
        while true {
            let r = tl_recv(fd, p, n)
            if r > 0 { return .bytes(r) }
            if r == 0 { return .bytes(0) }
            let e = errno
            if e == EINTR { continue }
            if e == EAGAIN || e == EWOULDBLOCK { return .wouldBlock }
            return .failed(e)
        }
    }
}
