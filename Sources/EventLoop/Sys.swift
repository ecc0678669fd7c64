import CShim
import Glibc

/// A failed system call: its name and errno, printed the way nginx does ("bind() failed (98: Address in use)").
public struct SysError: Error, CustomStringConvertible, Sendable {
    public var call: String
    public var errno: Int32
    public init(_ call: String, errno: Int32 = Glibc.errno) {
        self.call = call
        self.errno = errno
    }
    public var description: String { "\(call) failed (\(errno): \(Sys.strerror(errno)))" }
}

/// The result of a non-blocking read or write.
public enum IOResult {
    case bytes(Int)
    case wouldBlock
    case eof
    case failed(Int32)
}

/// Thin typed wrappers for the socket calls the loop and sessions make.
public enum Sys {
    public static func strerror(_ e: Int32) -> String { String(cString: Glibc.strerror(e)) }

    @inlinable public static func read(_ fd: Int32, _ p: UnsafeMutableRawPointer, _ n: Int) -> IOResult {
        while true {
            let r = Glibc.read(fd, p, n)
            if r > 0 { return .bytes(r) }
            if r == 0 { return .eof }
            if let failure = lastFailure() { return failure }
        }
    }

    @inlinable public static func write(_ fd: Int32, _ p: UnsafeRawPointer, _ n: Int) -> IOResult {
        while true {
            let r = tl_send(fd, p, n)
            if r >= 0 { return .bytes(r) }
            if let failure = lastFailure() { return failure }
        }
    }

    /// What the read or write that just returned -1 means, from errno: `.wouldBlock` (the socket is drained or
    /// full), `.failed`, or nil for an interrupted call (make it again). For callers that make the call
    /// themselves to keep its success path free of the `IOResult` (the connection's hot read and send).
    @inlinable public static func lastFailure() -> IOResult? {
        let e = errno
        if e == EINTR { return nil }
        if e == EAGAIN || e == EWOULDBLOCK { return .wouldBlock }
        return .failed(e)
    }

    public static func close(_ fd: Int32) { _ = Glibc.close(fd) }

    /// Accepts one connection: (fd, IPv4 address in host order, port), nil when none is pending.
    public static func accept(_ fd: Int32) -> Result<(Int32, UInt32, UInt16), SysError>? {
        var addr: UInt32 = 0
        var port: UInt16 = 0
        let c = tl_accept(fd, &addr, &port)
        if c >= 0 { return .success((c, addr, port)) }
        let e = errno
        if e == EAGAIN || e == EWOULDBLOCK || e == EINTR || e == ECONNABORTED { return nil }
        return .failure(SysError("accept4", errno: e))
    }

    /// "a.b.c.d" for an IPv4 address in host order.
    public static func ipString(_ a: UInt32) -> String {
        "\(a >> 24).\((a >> 16) & 255).\((a >> 8) & 255).\(a & 255)"
    }

    /// Parses "a.b.c.d" into host order.
    public static func parseIPv4(_ s: String) -> UInt32? {
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var v: UInt32 = 0
        for p in parts {
            guard let n = UInt32(p), n < 256 else { return nil }
            v = v << 8 | n
        }
        return v
    }
}
