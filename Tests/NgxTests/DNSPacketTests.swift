import Testing

@testable import Ngx

/// The resolver's DNS codec: queries as bytes, answers parsed, garbage refused.
struct DNSPacketTests {
    @Test func queryLayout() throws {
        let q = try #require(DNSPacket.query(id: 0x1234, name: "a.bc", type: DNSPacket.typeA))
        #expect(q == [0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 97, 2, 98, 99, 0, 0, 1, 0, 1])
        #expect(DNSPacket.query(id: 1, name: String(repeating: "x", count: 64), type: 1) == nil)
        #expect(DNSPacket.query(id: 1, name: "", type: 1) == nil)
    }

    /// An answer to `q` with one A record (compressed name) and `ttl`.
    func answer(_ q: [UInt8], rcode: UInt8 = 0, records: [[UInt8]], ttl: UInt32 = 300) -> [UInt8] {
        var p = Array(q[0..<2]) + [0x81, 0x80 | rcode, 0, 1, 0, UInt8(records.count), 0, 0, 0, 0]
        p += q[12...]
        for r in records {
            p += [0xC0, 0x0C, 0, r.count == 4 ? 1 : 28, 0, 1]
            p += [UInt8(ttl >> 24), UInt8(ttl >> 16 & 255), UInt8(ttl >> 8 & 255), UInt8(ttl & 255), 0, UInt8(r.count)]
            p += r
        }
        return p
    }

    @Test func parsesAddressesAndTTL() throws {
        let q = try #require(DNSPacket.query(id: 7, name: "x.test", type: DNSPacket.typeA))
        let a = answer(q, records: [[127, 0, 0, 1], [10, 0, 0, 2]], ttl: 42)
        #expect(DNSPacket.parse(a, id: 7, type: DNSPacket.typeA) == .addresses([[127, 0, 0, 1], [10, 0, 0, 2]], ttl: 42))
    }

    @Test func errorsAndGarbage() throws {
        let q = try #require(DNSPacket.query(id: 7, name: "x.test", type: DNSPacket.typeA))
        #expect(DNSPacket.parse(answer(q, rcode: 3, records: []), id: 7, type: 1) == .failure(code: 3))
        #expect(DNSPacket.parse(answer(q, records: []), id: 7, type: 1) == .failure(code: 0))
        let a = answer(q, records: [[127, 0, 0, 1]])
        #expect(DNSPacket.parse(a, id: 8, type: 1) == nil)  // wrong id
        #expect(DNSPacket.parse(Array(a.dropLast(2)), id: 7, type: 1) == nil)  // truncated
        #expect(DNSPacket.parse(q, id: 7, type: 1) == nil)  // a query, not an answer
        #expect(DNSPacket.text(3) == "Host not found")
        #expect(DNSPacket.text(110) == "Operation timed out")
    }
}
