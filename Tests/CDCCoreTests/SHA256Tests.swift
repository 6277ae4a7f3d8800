import Testing

@testable import CDCCore

@Suite("SHA256")
struct SHA256Tests {
    struct Vector: Sendable, CustomTestStringConvertible {
        var name: String
        var message: [UInt8]
        var digest: String

        var testDescription: String { name }
    }

    /// FIPS 180-2, appendix B (and the empty message).
    static let vectors: [Vector] = [
        Vector(
            name: "empty", message: [],
            digest: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        Vector(
            name: "abc", message: Array("abc".utf8),
            digest: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        Vector(
            name: "448 bits", message: Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8),
            digest: "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
        Vector(
            name: "a million a", message: [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000),
            digest: "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"),
    ]

    @Test("FIPS 180-2 vectors, in one piece", arguments: vectors)
    func oneShot(_ v: Vector) {
        #expect(SHA256.hexDigest(v.message) == v.digest)
        #expect(String(decoding: SHA256.hexDigestBytes(v.message), as: UTF8.self) == v.digest)
        #expect(SHA256.hash(v.message).count == SHA256.digestByteCount)
    }

    @Test("FIPS 180-2 vectors, fed in uneven pieces", arguments: vectors, [1, 3, 55, 56, 63, 64, 65, 1000])
    func incremental(_ v: Vector, pieceSize: Int) {
        var hasher = SHA256()
        var start = 0
        while start < v.message.count {
            let end = min(start + pieceSize, v.message.count)
            hasher.update(Array(v.message[start..<end]))
            start = end
        }
        #expect(Self.hex(hasher.finalize()) == v.digest)
    }

    @Test("padding boundaries: lengths 0…130 agree between one piece and byte by byte")
    func paddingBoundaries() {
        // Known digests at the lengths where the padding spills into a second block.
        let known: [Int: String] = [
            55: "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318",
            56: "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a",
            64: "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb",
        ]
        for length in 0...130 {
            let message = [UInt8](repeating: UInt8(ascii: "a"), count: length)
            var hasher = SHA256()
            for byte in message { hasher.update([byte]) }
            let digest = SHA256.hexDigest(message)
            #expect(Self.hex(hasher.finalize()) == digest, "length \(length)")
            if let expected = known[length] { #expect(digest == expected, "length \(length)") }
        }
    }

    @Test("finalize leaves the hasher usable")
    func finalizeIsNonDestructive() {
        var hasher = SHA256()
        hasher.update(Array("ab".utf8))
        _ = hasher.finalize()
        hasher.update(Array("c".utf8))
        #expect(Self.hex(hasher.finalize()) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    static func hex(_ bytes: [UInt8]) -> String {
        bytes.map { String($0 >> 4, radix: 16) + String($0 & 0xF, radix: 16) }.joined()
    }
}
