import Testing

@testable import SharedDict

/// `keysEqual`, which `find` uses once a key's hash and length match: equal keys of every length from 1 to 40
/// compare equal, and a key differing in any one byte does not (the word loads cover every byte, the overlapping
/// ones included).
@Suite struct KeyCompareTests {
    @Test func everyLengthAndEveryDifferingByte() {
        for n in 1...40 {
            let a = (0..<n).map { UInt8(truncatingIfNeeded: 97 + $0 * 7) }
            a.withUnsafeBytes { pa in
                #expect(keysEqual(pa.baseAddress!, UnsafeRawBufferPointer(pa)), "length \(n)")
                for i in 0..<n {
                    var b = a
                    b[i] ^= 0x20
                    b.withUnsafeBytes { pb in
                        #expect(!keysEqual(pa.baseAddress!, UnsafeRawBufferPointer(pb)), "length \(n), byte \(i)")
                    }
                }
            }
        }
    }
}
