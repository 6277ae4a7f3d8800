/// HMAC-SHA256 (RFC 2104 over FIPS 180-4 SHA-256): what Standard Webhooks signatures are made of.
///
/// Keys longer than a block (64 bytes) are hashed first, as the RFC says. The pads are prepared once
/// per key, so signing many messages with one key costs two SHA-256 runs each and no key handling.
public struct HMACSHA256: Sendable {
    /// Length of a MAC in bytes.
    public static let byteCount = SHA256.digestByteCount

    /// SHA-256 with the inner pad (key ⊕ 0x36) already absorbed.
    private let inner: SHA256
    /// SHA-256 with the outer pad (key ⊕ 0x5c) already absorbed.
    private let outer: SHA256

    /// A MAC keyed with `key` (any length, empty allowed).
    public init(key: [UInt8]) {
        var block = key.count > SHA256.blockByteCount ? SHA256.hash(key) : key
        block += [UInt8](repeating: 0, count: SHA256.blockByteCount - block.count)
        var inner = SHA256()
        inner.update(block.map { $0 ^ 0x36 })
        var outer = SHA256()
        outer.update(block.map { $0 ^ 0x5c })
        self.inner = inner
        self.outer = outer
    }

    /// The 32-byte MAC of the concatenation of `parts` (no separator added).
    public func authenticationCode(_ parts: [UInt8]...) -> [UInt8] {
        var hasher = inner
        for part in parts { hasher.update(part) }
        var outerHasher = outer
        outerHasher.update(hasher.finalize())
        return outerHasher.finalize()
    }

    /// The 32-byte MAC of `message` under `key`.
    public static func authenticationCode(key: [UInt8], message: [UInt8]) -> [UInt8] {
        HMACSHA256(key: key).authenticationCode(message)
    }
}
