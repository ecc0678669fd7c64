import Glibc

/// The last host name and `host:port` a connect used: a handler that connects to the same upstream for
/// every request builds no string for it (the pool key is the `host:port` text).
enum HostCache {
    nonisolated(unsafe) static var bytes: [UInt8] = []
    nonisolated(unsafe) static var lastHost = ""
    nonisolated(unsafe) static var lastPort: UInt16 = 0
    nonisolated(unsafe) static var lastPeer = ""

    /// The host as a String, reused when its bytes are the last ones seen.
    static func host(_ b: UnsafeRawBufferPointer) -> String {
        if b.count == bytes.count, b.count > 0,
            bytes.withUnsafeBytes({ memcmp($0.baseAddress!, b.baseAddress!, b.count) == 0 })
        {
            return lastHost
        }
        bytes = Array(b)
        lastHost = String(decoding: b, as: UTF8.self)
        lastPeer = ""
        return lastHost
    }

    /// "host:port", reused for the last pair.
    static func peer(_ host: String, _ port: UInt16) -> String {
        if port == lastPort, !lastPeer.isEmpty, host == lastHost { return lastPeer }
        let p = host + ":" + String(port)
        if host == lastHost {
            lastPort = port
            lastPeer = p
        }
        return p
    }
}
