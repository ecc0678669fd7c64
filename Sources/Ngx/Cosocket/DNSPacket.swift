/// DNS queries and answers on the wire (RFC 1035), for the resolver: a pure codec, tested alone.
///
///     header: id(2) flags(2) qdcount(2) ancount(2) nscount(2) arcount(2)
///     question: name (labels) type(2) class(2)     answer: name type(2) class(2) ttl(4) rdlength(2) rdata
enum DNSPacket {
    static let typeA: UInt16 = 1
    static let typeAAAA: UInt16 = 28

    /// A recursive query for `name` of `type`.
    static func query(id: UInt16, name: String, type: UInt16) -> [UInt8]? {
        var p: [UInt8] = [UInt8(id >> 8), UInt8(id & 255), 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]
        for label in name.split(separator: ".", omittingEmptySubsequences: true) {
            let b = Array(label.utf8)
            guard !b.isEmpty, b.count < 64 else { return nil }
            p.append(UInt8(b.count))
            p.append(contentsOf: b)
        }
        guard p.count > 12, p.count < 270 else { return nil }
        p.append(0)
        p += [UInt8(type >> 8), UInt8(type & 255), 0, 1]
        return p
    }

    /// What an answer said.
    enum Answer: Equatable {
        /// Addresses (4 or 16 bytes each) and the smallest TTL, in seconds.
        case addresses([[UInt8]], ttl: UInt32)
        /// An error code (3 = NXDOMAIN); 0 with no address records is "no data".
        case failure(code: Int)
    }

    /// Parses an answer to query `id`; nil for anything that is not one (wrong id, truncated, not a response).
    static func parse(_ p: [UInt8], id: UInt16, type: UInt16) -> Answer? {
        guard p.count >= 12, UInt16(p[0]) << 8 | UInt16(p[1]) == id, p[2] & 0x80 != 0 else { return nil }
        let rcode = Int(p[3] & 0x0F)
        let qd = Int(p[4]) << 8 | Int(p[5])
        let an = Int(p[6]) << 8 | Int(p[7])
        var i = 12
        for _ in 0..<qd {
            guard let next = skipName(p, i), next + 4 <= p.count else { return nil }
            i = next + 4
        }
        if rcode != 0 { return .failure(code: rcode) }
        var addrs: [[UInt8]] = []
        var ttl = UInt32.max
        for _ in 0..<an {
            guard let next = skipName(p, i), next + 10 <= p.count else { return nil }
            i = next
            let t = UInt16(p[i]) << 8 | UInt16(p[i + 1])
            let recordTTL = UInt32(p[i + 4]) << 24 | UInt32(p[i + 5]) << 16 | UInt32(p[i + 6]) << 8 | UInt32(p[i + 7])
            let len = Int(p[i + 8]) << 8 | Int(p[i + 9])
            i += 10
            guard i + len <= p.count else { return nil }
            if t == type && ((t == typeA && len == 4) || (t == typeAAAA && len == 16)) {
                addrs.append(Array(p[i..<i + len]))
                ttl = min(ttl, recordTTL)
            }
            i += len
        }
        return addrs.isEmpty ? .failure(code: 0) : .addresses(addrs, ttl: ttl)
    }

    /// The index after the (possibly compressed) name at `i`.
    private static func skipName(_ p: [UInt8], _ start: Int) -> Int? {
        var i = start
        while i < p.count {
            let len = Int(p[i])
            if len == 0 { return i + 1 }
            if len & 0xC0 == 0xC0 { return i + 2 <= p.count ? i + 2 : nil }
            guard len & 0xC0 == 0 else { return nil }
            i += 1 + len
        }
        return nil
    }

    /// nginx's words for DNS error codes.
    static func text(_ code: Int) -> String {
        switch code {
        case 1: return "Format error"
        case 2: return "Server failure"
        case 3: return "Host not found"
        case 4: return "Unimplemented"
        case 5: return "Operation refused"
        case 110: return "Operation timed out"
        default: return "Unknown error"
        }
    }
}
