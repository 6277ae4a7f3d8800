/// SHA-256 (FIPS 180-4), in pure Swift: what `redact` with `method: hash` prints, and a building block
/// for HMAC where no crypto library is at hand.
///
/// Incremental: `update` any number of times, then `finalize` (which leaves the value as it was, so
/// more input can follow). Not constant-time with respect to the *length* of the input; the contents
/// never select a branch or an index.
public struct SHA256: Sendable {
    /// Length of a digest in bytes.
    public static let digestByteCount = 32
    /// Length of one input block in bytes.
    public static let blockByteCount = 64

    private var state: State = .initial
    /// Bytes of a partial block waiting for more input (`pendingCount` of the 64 are meaningful).
    private var pending: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)
    private var pendingCount = 0
    /// Message length so far, in bytes.
    private var length: UInt64 = 0

    /// A hash of the empty message, ready for `update`.
    public init() {}

    /// Appends `bytes` to the message.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard var input = bytes.baseAddress, !bytes.isEmpty else { return }
        var remaining = bytes.count
        length &+= UInt64(remaining)
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 64) { schedule in
            let w = schedule.baseAddress!
            if pendingCount > 0 {
                let offset = pendingCount
                let take = min(remaining, Self.blockByteCount - offset)
                withUnsafeMutableBytes(of: &pending) { block in
                    block.baseAddress!.advanced(by: offset).copyMemory(from: input, byteCount: take)
                }
                pendingCount = offset + take
                input += take
                remaining -= take
                guard pendingCount == Self.blockByteCount else { return }
                let full = pending
                withUnsafeBytes(of: full) { block in Self.compress(&state, block.baseAddress!, w) }
                pendingCount = 0
            }
            while remaining >= Self.blockByteCount {
                Self.compress(&state, input, w)
                input += Self.blockByteCount
                remaining -= Self.blockByteCount
            }
            if remaining > 0 {
                withUnsafeMutableBytes(of: &pending) { block in
                    block.baseAddress!.copyMemory(from: input, byteCount: remaining)
                }
                pendingCount = remaining
            }
        }
    }

    /// Appends `bytes` to the message.
    public mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// The 32-byte digest of everything passed to `update` so far.
    public func finalize() -> [UInt8] {
        var copy = self
        let bitLength = length &* 8
        // Padding: 0x80, zeros up to 56 mod 64, then the bit length as a big-endian UInt64.
        let padCount = (pendingCount < 56 ? 56 : 120) - pendingCount
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: padCount + 8) { pad in
            pad.initialize(repeating: 0)
            pad[0] = 0x80
            for i in 0..<8 { pad[padCount + i] = UInt8(truncatingIfNeeded: bitLength >> (56 - 8 * UInt64(i))) }
            copy.update(UnsafeRawBufferPointer(pad))
        }
        let s = copy.state
        return [UInt8](unsafeUninitializedCapacity: Self.digestByteCount) { out, count in
            for (i, word) in [s.a, s.b, s.c, s.d, s.e, s.f, s.g, s.h].enumerated() {
                out[4 * i] = UInt8(truncatingIfNeeded: word >> 24)
                out[4 * i + 1] = UInt8(truncatingIfNeeded: word >> 16)
                out[4 * i + 2] = UInt8(truncatingIfNeeded: word >> 8)
                out[4 * i + 3] = UInt8(truncatingIfNeeded: word)
            }
            count = Self.digestByteCount
        }
    }

    /// The 32-byte digest of `bytes`.
    public static func hash(_ bytes: [UInt8]) -> [UInt8] {
        var hasher = SHA256()
        hasher.update(bytes)
        return hasher.finalize()
    }

    /// The digest of `bytes` as 64 lowercase hex digits (`ba7816bf…` for `abc`).
    public static func hexDigest(_ bytes: [UInt8]) -> String {
        String(decoding: hexDigestBytes(bytes), as: UTF8.self)
    }

    /// The digest of `bytes` as 64 lowercase hex digits, in ASCII bytes.
    static func hexDigestBytes(_ bytes: [UInt8]) -> [UInt8] {
        let digest = hash(bytes)
        return [UInt8](unsafeUninitializedCapacity: 2 * digestByteCount) { out, count in
            for (i, byte) in digest.enumerated() {
                out[2 * i] = hexDigit(byte >> 4)
                out[2 * i + 1] = hexDigit(byte & 0x0F)
            }
            count = 2 * digestByteCount
        }
    }

    @inline(__always)
    private static func hexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? 0x30 + nibble : 0x57 + nibble  // 0x57 + 10 == "a"
    }

    // MARK: compression

    /// The eight working words H0…H7.
    private struct State: Sendable {
        var a, b, c, d, e, f, g, h: UInt32

        static let initial = State(
            a: 0x6a09_e667, b: 0xbb67_ae85, c: 0x3c6e_f372, d: 0xa54f_f53a,
            e: 0x510e_527f, f: 0x9b05_688c, g: 0x1f83_d9ab, h: 0x5be0_cd19)
    }

    /// Round constants: the first 32 bits of the fractional parts of the cube roots of the first 64 primes.
    private static let k: [UInt32] = [
        0x428a_2f98, 0x7137_4491, 0xb5c0_fbcf, 0xe9b5_dba5, 0x3956_c25b, 0x59f1_11f1, 0x923f_82a4, 0xab1c_5ed5,
        0xd807_aa98, 0x1283_5b01, 0x2431_85be, 0x550c_7dc3, 0x72be_5d74, 0x80de_b1fe, 0x9bdc_06a7, 0xc19b_f174,
        0xe49b_69c1, 0xefbe_4786, 0x0fc1_9dc6, 0x240c_a1cc, 0x2de9_2c6f, 0x4a74_84aa, 0x5cb0_a9dc, 0x76f9_88da,
        0x983e_5152, 0xa831_c66d, 0xb003_27c8, 0xbf59_7fc7, 0xc6e0_0bf3, 0xd5a7_9147, 0x06ca_6351, 0x1429_2967,
        0x27b7_0a85, 0x2e1b_2138, 0x4d2c_6dfc, 0x5338_0d13, 0x650a_7354, 0x766a_0abb, 0x81c2_c92e, 0x9272_2c85,
        0xa2bf_e8a1, 0xa81a_664b, 0xc24b_8b70, 0xc76c_51a3, 0xd192_e819, 0xd699_0624, 0xf40e_3585, 0x106a_a070,
        0x19a4_c116, 0x1e37_6c08, 0x2748_774c, 0x34b0_bcb5, 0x391c_0cb3, 0x4ed8_aa4a, 0x5b9c_ca4f, 0x682e_6ff3,
        0x748f_82ee, 0x78a5_636f, 0x84c8_7814, 0x8cc7_0208, 0x90be_fffa, 0xa450_6ceb, 0xbef9_a3f7, 0xc671_78f2,
    ]

    @inline(__always)
    private static func rotr(_ x: UInt32, _ n: UInt32) -> UInt32 { (x >> n) | (x << (32 &- n)) }

    /// Processes one 64-byte block at `block`; `w` is scratch space for the 64-word message schedule.
    private static func compress(_ state: inout State, _ block: UnsafeRawPointer, _ w: UnsafeMutablePointer<UInt32>) {
        for t in 0..<16 {
            w[t] = UInt32(bigEndian: block.loadUnaligned(fromByteOffset: 4 * t, as: UInt32.self))
        }
        for t in 16..<64 {
            let s0 = rotr(w[t - 15], 7) ^ rotr(w[t - 15], 18) ^ (w[t - 15] >> 3)
            let s1 = rotr(w[t - 2], 17) ^ rotr(w[t - 2], 19) ^ (w[t - 2] >> 10)
            w[t] = w[t - 16] &+ s0 &+ w[t - 7] &+ s1
        }
        var s = state
        k.withUnsafeBufferPointer { k in
            for t in 0..<64 {
                let s1 = rotr(s.e, 6) ^ rotr(s.e, 11) ^ rotr(s.e, 25)
                let ch = (s.e & s.f) ^ (~s.e & s.g)
                let t1 = s.h &+ s1 &+ ch &+ k[t] &+ w[t]
                let s0 = rotr(s.a, 2) ^ rotr(s.a, 13) ^ rotr(s.a, 22)
                let maj = (s.a & s.b) ^ (s.a & s.c) ^ (s.b & s.c)
                let t2 = s0 &+ maj
                s.h = s.g
                s.g = s.f
                s.f = s.e
                s.e = s.d &+ t1
                s.d = s.c
                s.c = s.b
                s.b = s.a
                s.a = t1 &+ t2
            }
        }
        state.a &+= s.a
        state.b &+= s.b
        state.c &+= s.c
        state.d &+= s.d
        state.e &+= s.e
        state.f &+= s.f
        state.g &+= s.g
        state.h &+= s.h
    }
}
