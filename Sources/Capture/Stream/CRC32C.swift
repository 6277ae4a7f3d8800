import CCRC32C

/// CRC-32C (Castagnoli, reflected polynomial `0x82F63B78`), the checksum of iSCSI, ext4 and Kafka
/// record batches: the CPU's instruction when it has one (SSE4.2, ARMv8 CRC), else table-driven,
/// slicing by 8 bytes.
///
/// `checksum(b, seed: checksum(a)) == checksum(a + b)`, so a checksum can be computed over several
/// buffers. The checksum of no bytes is 0.
public enum CRC32C {
    /// Eight 256-entry tables: `tables[k * 256 + b]` is the CRC of byte `b` followed by `k` zero bytes.
    private static let tables: [UInt32] = {
        var t = [UInt32](repeating: 0, count: 8 * 256)
        for b in 0..<256 {
            var c = UInt32(b)
            for _ in 0..<8 { c = c & 1 != 0 ? (c >> 1) ^ 0x82F6_3B78 : c >> 1 }
            t[b] = c
        }
        for k in 1..<8 {
            for b in 0..<256 {
                let previous = t[(k - 1) * 256 + b]
                t[k * 256 + b] = (previous >> 8) ^ t[Int(previous & 0xFF)]
            }
        }
        return t
    }()

    /// True when `checksum` uses the CPU's CRC-32C instruction.
    public static let usesHardware = cdcd_crc32c_hardware_available() == 1

    /// The CRC-32C of `bytes`, continuing from `seed` (the checksum of the bytes before them).
    public static func checksum(_ bytes: UnsafeRawBufferPointer, seed: UInt32 = 0) -> UInt32 {
        guard usesHardware else { return tableChecksum(bytes, seed: seed) }
        return ~cdcd_crc32c_hardware(~seed, bytes.baseAddress, bytes.count)
    }

    /// The table-driven CRC-32C (the fallback; also what tests compare the instruction with).
    public static func tableChecksum(_ bytes: UnsafeRawBufferPointer, seed: UInt32 = 0) -> UInt32 {
        tables.withUnsafeBufferPointer { t in
            var crc = ~seed
            var i = 0
            let n = bytes.count
            while n &- i >= 8 {
                let lo = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: i, as: UInt32.self)) ^ crc
                let hi = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: i &+ 4, as: UInt32.self))
                crc =
                    t[7 &* 256 &+ Int(lo & 0xFF)] ^ t[6 &* 256 &+ Int((lo >> 8) & 0xFF)]
                    ^ t[5 &* 256 &+ Int((lo >> 16) & 0xFF)] ^ t[4 &* 256 &+ Int(lo >> 24)]
                    ^ t[3 &* 256 &+ Int(hi & 0xFF)] ^ t[2 &* 256 &+ Int((hi >> 8) & 0xFF)]
                    ^ t[1 &* 256 &+ Int((hi >> 16) & 0xFF)] ^ t[Int(hi >> 24)]
                i &+= 8
            }
            while i < n {
                crc = (crc >> 8) ^ t[Int((crc ^ UInt32(bytes[i])) & 0xFF)]
                i &+= 1
            }
            return ~crc
        }
    }

    /// The CRC-32C of `bytes`, continuing from `seed`.
    public static func checksum(_ bytes: some Sequence<UInt8>, seed: UInt32 = 0) -> UInt32 {
        if let crc = bytes.withContiguousStorageIfAvailable({ checksum(UnsafeRawBufferPointer($0), seed: seed) }) {
            return crc
        }
        let array = Array(bytes)
        return array.withUnsafeBytes { checksum($0, seed: seed) }
    }
}
