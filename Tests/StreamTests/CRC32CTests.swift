import Testing

@testable import Capture

@Suite("CRC32C")
struct CRC32CTests {
    struct Vector: Sendable, CustomTestStringConvertible {
        var name: String
        var bytes: [UInt8]
        var crc: UInt32
        var testDescription: String { name }
    }

    /// RFC 3720 (iSCSI) appendix B.4 and the common check value.
    static let vectors: [Vector] = [
        Vector(name: "empty", bytes: [], crc: 0),
        Vector(name: "123456789", bytes: Array("123456789".utf8), crc: 0xE306_9283),
        Vector(name: "32 zeros", bytes: [UInt8](repeating: 0, count: 32), crc: 0x8A91_36AA),
        Vector(name: "32 ones", bytes: [UInt8](repeating: 0xFF, count: 32), crc: 0x62A8_AB43),
        Vector(name: "ascending", bytes: (0..<32).map { UInt8($0) }, crc: 0x46DD_794E),
        Vector(name: "descending", bytes: (0..<32).reversed().map { UInt8($0) }, crc: 0x113F_DB5C),
        Vector(
            name: "iSCSI read PDU",
            bytes: [
                0x01, 0xC0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x18,
                0x28, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
            ], crc: 0xD996_3A56),
    ]

    @Test(arguments: vectors)
    func knownVector(_ vector: Vector) {
        #expect(CRC32C.checksum(vector.bytes) == vector.crc)
        #expect(vector.bytes.withUnsafeBytes { CRC32C.tableChecksum($0) } == vector.crc)
    }

    @Test("chained over any split equals the whole")
    func chaining() {
        let bytes = (0..<300).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
        let whole = CRC32C.checksum(bytes)
        for split in 0...bytes.count {
            #expect(CRC32C.checksum(bytes[split...], seed: CRC32C.checksum(bytes[..<split])) == whole)
        }
    }

    @Test("the instruction and the slicing table agree with a bitwise reference at every length and alignment")
    func matchesReference() {
        func reference(_ bytes: ArraySlice<UInt8>) -> UInt32 {
            var crc: UInt32 = 0xFFFF_FFFF
            for byte in bytes {
                crc ^= UInt32(byte)
                for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
            }
            return ~crc
        }
        let bytes = (0..<100).map { UInt8(truncatingIfNeeded: $0 &* 131 &+ 7) }
        for start in 0..<8 {
            for end in start...bytes.count {
                #expect(CRC32C.checksum(bytes[start..<end]) == reference(bytes[start..<end]))
                #expect(bytes[start..<end].withUnsafeBytes { CRC32C.tableChecksum($0) } == reference(bytes[start..<end]))
            }
        }
    }
}
